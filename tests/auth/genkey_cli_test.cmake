# Runs the built `hamirror genkey` as an admin would (cmake -P script, so it also runs
# under Wine for the Windows build): a key to stdout, a key file, refusal to overwrite
# it without --force, replacement with --force, and a clear error for a bad path.
# Inputs: HAMIRROR (the program), EMULATOR (empty, or Wine), WORK.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

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

# expect_match(<text> <regex> <what>)
function(expect_match text regex what)
  if(NOT "${text}" MATCHES "${regex}")
    message(SEVERE_WARNING "${what}: no match for ${regex} in:\n${text}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  endif()
endfunction()

string(REPEAT "[0-9a-f]" 64 hex64)

# 1. Without --out the key goes to stdout.
run(0 genkey)
expect_match("${out}" "^${hex64}\r?\n$" "genkey to stdout")

# 2. A key file, then a refusal to overwrite it, then --force.
run(0 genkey --out cluster.key)
expect_match("${err}" "wrote a new cluster key to cluster.key" "genkey --out message")
file(READ "${WORK}/cluster.key" first)
expect_match("${first}" "^${hex64}\n$" "key file content")
run(1 genkey --out cluster.key)
expect_match("${err}" "already exists; keep it, or pass --force" "refusal to overwrite")
file(READ "${WORK}/cluster.key" unchanged)
if(NOT unchanged STREQUAL first)
  message(SEVERE_WARNING "the key file changed although genkey refused to overwrite it")
  math(EXPR failures "${failures} + 1")
endif()
run(0 genkey --out cluster.key --force)
file(READ "${WORK}/cluster.key" second)
expect_match("${second}" "^${hex64}\n$" "replaced key file content")
if(second STREQUAL first)
  message(SEVERE_WARNING "genkey --force wrote the same key again")
  math(EXPR failures "${failures} + 1")
endif()

# 3. A folder that does not exist: the error names the file.
run(1 genkey --out no/such/folder/cluster.key)
expect_match("${err}" "cannot create key file 'no/such/folder/cluster.key'" "bad path error")

file(REMOVE_RECURSE "${WORK}")
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()
