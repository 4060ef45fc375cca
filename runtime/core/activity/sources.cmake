# Sources of runtime/core/activity (added to hamirror_core).
