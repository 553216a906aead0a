package ferry

// RunInterrupted means a run was cut off by a graceful stop before it
// finished. It is not a failure: it has no class and no evidence, and the
// next start resumes it from its last completed step.
const RunInterrupted RunStatus = "interrupted"

// ClassResourceExhausted: the machine ran out of something Ferry needs to
// keep a run's results (disk space, most often). Not retried by itself: an
// operator frees space, then the run is started again.
const ClassResourceExhausted FailureClass = "resource_exhausted"
