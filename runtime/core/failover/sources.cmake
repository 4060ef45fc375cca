# Sources of runtime/core/failover (added to hamirror_core).
