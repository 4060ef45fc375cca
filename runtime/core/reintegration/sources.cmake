# Sources of runtime/core/reintegration (added to hamirror_core).
target_sources(hamirror_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/block_checksum.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reintegration_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reintegration_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reintegration_target.cpp)
# Block checksums: xxHash inlined (XXH_INLINE_ALL), so no library symbol is referenced.
target_link_libraries(hamirror_core PRIVATE hamirror::xxhash)
