/* A statically linked C program: the image needs no library at all. */
#include <stdio.h>

int main(void) {
    printf("static-c: hello\n");
    return 0;
}
