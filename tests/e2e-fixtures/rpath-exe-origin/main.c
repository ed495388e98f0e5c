/* The executable's DT_RPATH ($ORIGIN/lib, old dtags) also serves its libraries' own dependencies. */
#include <stdio.h>
const char *outer(void);
int main(void) {
    printf("rpath: outer -> %s\n", outer());
    return 0;
}
