/* libouter: needs libinner, found through the executable's DT_RPATH. */
const char *inner(void);
const char *outer(void) { return inner(); }
