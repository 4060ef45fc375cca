# Sources of runtime/core/activity (added to hamirror_core): the activity record —
# the dirty map, the activity log (extents) and the resync plan. See README.md here.
target_sources(hamirror_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/record_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dirty_map.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dirty_record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/activity_log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/resync_plan.cpp)
