# Runs the built `hamirror confcheck` as a user would (cmake -P script, so it also runs
# under Wine for the Windows build): on SafeKit's exact sample, on the sample with its
# quotes fixed, on the sample filled in, on the shipped examples, and with bad usage.
# Checks exit codes and the printed messages.
# Inputs: HAMIRROR (the program), EMULATOR (empty, or Wine), DATA, EXAMPLES, WORK.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(COPY "${DATA}/userconfig.safekit.xml" DESTINATION "${WORK}")
file(COPY "${EXAMPLES}/userconfig.xml" "${EXAMPLES}/node1.toml" "${EXAMPLES}/node2.toml" DESTINATION "${WORK}")

set(failures 0)

# run(<expected exit code> <args>...): runs hamirror in WORK; sets out, err.
function(run expected)
  execute_process(COMMAND ${EMULATOR} "${HAMIRROR}" ${ARGN}
    WORKING_DIRECTORY "${WORK}"
    RESULT_VARIABLE code OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 60)
  set(out "${stdout}" PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
  if(NOT "${code}" STREQUAL "${expected}")
    message(SEVERE_WARNING "hamirror ${ARGN}: exit code ${code}, expected ${expected}\nstdout:\n${stdout}\nstderr:\n${stderr}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  endif()
endfunction()

# expect(<text> <needle>): the output holds the needle, verbatim.
function(expect text needle)
  string(FIND "${text}" "${needle}" at)
  if(at EQUAL -1)
    message(SEVERE_WARNING "missing from the output: ${needle}\noutput:\n${text}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  endif()
endfunction()

# 1. The sample as published: its typographic quotes, with line:column and the fix.
run(2 confcheck userconfig.safekit.xml)
expect("${err}" "userconfig.safekit.xml:7:26: error: typographic quote ” (U+201D) in a tag: XML needs straight quotes (\" or '); write <heartbeat name=\"default\" ident=\"flow\"/>")
expect("${err}" "hamirror confcheck: 1 error, 0 warnings")

# 2. Quotes fixed: the placeholders, and the Windows paths when checked as Linux paths.
file(READ "${WORK}/userconfig.safekit.xml" sample)
string(REPLACE "”" "\"" fixed "${sample}")
file(WRITE "${WORK}/fixed.xml" "${fixed}")
run(2 confcheck --userconfig fixed.xml --paths linux)
expect("${err}" "fixed.xml:17:39: error: <virtual_addr> addr=\"VIRTUAL_TO_BE_DEFINED\" is a placeholder from SafeKit's sample, not an address")
expect("${err}" "fixed.xml:27:21: error: <proc> name=\"PROCESS_NAME\" is a placeholder from SafeKit's sample")
expect("${err}" "fixed.xml:31:27: error: <replicated> dir=\"c:\\test1replicated\" is a Windows path, not an absolute path on Linux")
expect("${err}" "fixed.xml:32:27: error: <replicated> dir=\"c:\\test2replicated\" is a Windows path, not an absolute path on Linux")
expect("${err}" "hamirror confcheck: 4 errors, 0 warnings")
run(2 confcheck fixed.xml --paths windows)
expect("${err}" "hamirror confcheck: 2 errors, 0 warnings")

# 3. Filled in: it loads.
string(REPLACE "VIRTUAL_TO_BE_DEFINED" "192.168.1.100" filled "${fixed}")
string(REPLACE "PROCESS_NAME" "postgres" filled "${filled}")
string(REPLACE "c:\\test1replicated" "/srv/test1replicated" filled "${filled}")
string(REPLACE "c:\\test2replicated" "/srv/test2replicated" filled "${filled}")
file(WRITE "${WORK}/filled.xml" "${filled}")
run(0 confcheck filled.xml --paths linux)
expect("${out}" "OK: filled.xml: mirror module, 1 heartbeat network (default carries replication), virtual IP 192.168.1.100, 2 replicated directories, 1 watched process")

# 4. The shipped examples, each node file with the userconfig.
run(0 confcheck --userconfig userconfig.xml --node node1.toml --paths linux)
expect("${out}" "OK: node1.toml: node node1, peer node2, 2 networks")
run(0 confcheck userconfig.xml node2.toml --paths linux)
expect("${out}" "OK: node2.toml: node node2, peer node1, 2 networks")

# 5. A node file that misses a heartbeat network of the userconfig.
file(READ "${WORK}/node1.toml" node1)
string(REPLACE "[networks.backup]" "[networks.spare]" node1 "${node1}")
file(WRITE "${WORK}/spare.toml" "${node1}")
run(2 confcheck userconfig.xml spare.toml --paths linux)
expect("${err}" "spare.toml:27: error: no [networks.backup] for the heartbeat network declared at userconfig.xml:17")
expect("${err}" "warning: [networks.spare] is not a <heartbeat> network of userconfig.xml: ignored")

# 6. Usage.
run(64 confcheck)
expect("${err}" "--userconfig is required")
run(64)
run(64 confcheck userconfig.xml --paths macos)
expect("${err}" "--paths: macos not in {linux,windows}")
run(64 frobnicate)
run(0 --help)
expect("${out}" "confcheck")
run(2 confcheck missing.xml)
expect("${err}" "missing.xml: error: cannot read the file: it does not exist")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()
message(STATUS "hamirror confcheck: every check passed")
