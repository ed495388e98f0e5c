/* A plugin that needs libbz2 (DT_NEEDED), which nothing else in the image brings. */
const char *BZ2_bzlibVersion(void);
static char line[64];
const char *greet(void) {
    const char *v = BZ2_bzlibVersion();
    int i = 0;
    for (const char *s = "bzip2 "; *s; s++) line[i++] = *s;
    for (; *v && *v != ',' && i < 62; v++) line[i++] = *v;
    line[i] = 0;
    return line;
}
