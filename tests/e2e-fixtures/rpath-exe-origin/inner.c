/* libinner: needed only by libouter, which has no RPATH or RUNPATH of its own. */
const char *inner(void) { return "inner"; }
