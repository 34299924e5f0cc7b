// Exit codes of every command (interface.md §1).
export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 1;
export const EXIT_RUNTIME_FAILURE = 2;
