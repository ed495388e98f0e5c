/* Finds libgreet through DT_RUNPATH $ORIGIN/../lib, the usual relocatable layout. */
#include <stdio.h>
const char *greet(void);
int main(void) {
    printf("runpath: %s\n", greet());
    return 0;
}
