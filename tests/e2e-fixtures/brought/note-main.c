#include <stdio.h>
const char *foo(void);
int main(void) {
    puts(foo());
    return 0;
}
