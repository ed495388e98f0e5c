/* A C program linked dynamically against musl: the image needs musl's loader. */
#include <stdio.h>

int main(void) {
    printf("musl-c: hello from musl\n");
    return 0;
}
