// The smallest program a process start can run: the floor for the spawn start method.
int main() { return 0; }
