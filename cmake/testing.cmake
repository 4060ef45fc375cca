include(GoogleTest)

# hamirror_test(NAME SOURCES... LABELS label... LIBS lib...)
# One executable per test area; each GoogleTest case becomes its own ctest test, so
# `ctest -N` lists cases one by one and labels select suites. Discovery runs just
# before the tests (PRE_TEST), which also works under Wine for the Windows build.
function(hamirror_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LABELS;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  hamirror_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  if(WIN32)
    list(APPEND ARG_LABELS windows)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  # gtest_discover_tests flattens a list of labels into its property list, so several
  # labels cannot pass through it; this script, included after the discovered tests,
  # labels each of them.
  set(label_script "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
  file(WRITE "${label_script}"
    "foreach(test_name IN LISTS ${name}_TESTS)\n"
    "  set_tests_properties(\"\${test_name}\" PROPERTIES LABELS \"${ARG_LABELS}\")\n"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${label_script}")
endfunction()
