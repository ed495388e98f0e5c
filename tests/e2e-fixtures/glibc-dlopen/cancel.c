/* Cancels a thread: glibc unwinds it with libgcc_s.so.1, which it opens with dlopen (no DT_NEEDED). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *wait_forever(void *arg) {
    for (;;)
        pause();
    return arg;
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, wait_forever, NULL) != 0)
        return 1;
    pthread_cancel(t);
    void *result;
    pthread_join(t, &result);
    puts(result == PTHREAD_CANCELED ? "cancel: the thread was cancelled" : "cancel: not cancelled");
    return 0;
}
