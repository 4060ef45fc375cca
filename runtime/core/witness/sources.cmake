# Sources of runtime/core/witness (added to hamirror_core).
