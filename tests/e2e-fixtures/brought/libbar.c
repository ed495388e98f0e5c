const char *bar(void) { return "bar: opened through the note"; }
