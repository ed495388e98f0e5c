/* libgreet: a project library installed next to the program, not in a system directory. */
const char *greet(void) { return "hello from libgreet"; }
