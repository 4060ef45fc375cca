# Sources of runtime/core/witness (added to hamirror_core).
target_sources(hamirror_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/lease_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/version_mismatch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/witness_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/witness_server.cpp)
