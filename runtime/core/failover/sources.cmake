# Sources of runtime/core/failover (added to hamirror_core).
target_sources(hamirror_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/deferred_calls.cpp
  ${CMAKE_CURRENT_LIST_DIR}/application_control.cpp
  ${CMAKE_CURRENT_LIST_DIR}/primary_role.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_checker.cpp)
