# The examples the Windows zip ships (tools/package-windows.sh copies these very files)
# pass `hamirror confcheck` as Windows configuration: with the Linux build through
# --paths windows, with the Windows build (under Wine in CI) natively.
# Inputs: HAMIRROR (the program), EMULATOR (empty, or Wine), EXAMPLES (runtime/daemon),
# PATHS ("windows" to ask for Windows path rules, empty for the native ones), WORK.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(COPY "${EXAMPLES}/userconfig-windows.example.xml" "${EXAMPLES}/node-windows.example.toml" DESTINATION "${WORK}")
set(paths_option)
if(PATHS)
  set(paths_option --paths ${PATHS})
endif()

execute_process(COMMAND ${EMULATOR} "${HAMIRROR}" confcheck --userconfig userconfig-windows.example.xml
                        --node node-windows.example.toml ${paths_option}
  WORKING_DIRECTORY "${WORK}"
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT code STREQUAL "0")
  message(FATAL_ERROR "hamirror confcheck refused the Windows examples (exit ${code}):\n${out}\n${err}")
endif()
foreach(needle "2 replicated directories" "virtual IP 192.168.1.100" "node node1, peer node2")
  string(FIND "${out}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "confcheck's report misses \"${needle}\":\n${out}\n${err}")
  endif()
endforeach()

# The same userconfig checked as Linux configuration must fail on its Windows paths:
# proof that the check above looked at them.
execute_process(COMMAND ${EMULATOR} "${HAMIRROR}" confcheck userconfig-windows.example.xml --paths linux
  WORKING_DIRECTORY "${WORK}"
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
string(FIND "${err}" "dir=\"C:\\appdata\" is a Windows path" at)
if(NOT code STREQUAL "2" OR at EQUAL -1)
  message(FATAL_ERROR "checked as Linux paths, C:\\appdata should be refused (exit ${code}):\n${out}\n${err}")
endif()
message(STATUS "the Windows examples pass confcheck")
