int gone(void);
int main(void) { return gone(); }
