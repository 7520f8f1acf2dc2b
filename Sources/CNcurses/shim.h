#ifndef HOOKSCOPE_CNCURSES_SHIM_H
#define HOOKSCOPE_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <string.h>
#include <spawn.h>

/* glibc (2.34+) declares this only under _GNU_SOURCE, which the wide-character curses headers
   above do not want: spawned programs (the editor) get only stdin, stdout and stderr. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/* sigaction without the struct/function name clash Swift sees. */
typedef struct sigaction hs_sigaction_t;

static inline int hs_set_handler(int signo, void (*handler)(int), hs_sigaction_t *previous) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, previous);
}

static inline int hs_restore_action(int signo, const hs_sigaction_t *action) {
    return sigaction(signo, action, NULL);
}
#include <ncursesw/curses.h>

/* Attribute and mouse macros Swift cannot import. */
static const attr_t HS_A_NORMAL = A_NORMAL;
static const attr_t HS_A_BOLD = A_BOLD;
static const attr_t HS_A_DIM = A_DIM;
static const attr_t HS_A_REVERSE = A_REVERSE;
static const attr_t HS_A_UNDERLINE = A_UNDERLINE;

static const mmask_t HS_BUTTON1_PRESSED = BUTTON1_PRESSED;
static const mmask_t HS_BUTTON1_CLICKED = BUTTON1_CLICKED;
static const mmask_t HS_BUTTON1_RELEASED = BUTTON1_RELEASED;
static const mmask_t HS_BUTTON2_PRESSED = BUTTON2_PRESSED;
static const mmask_t HS_BUTTON3_PRESSED = BUTTON3_PRESSED;
static const mmask_t HS_BUTTON4_PRESSED = BUTTON4_PRESSED;
static const mmask_t HS_BUTTON5_PRESSED = BUTTON5_PRESSED;
static const mmask_t HS_ALL_MOUSE_EVENTS = ALL_MOUSE_EVENTS;

/* Builds a complex character from up to CCHARW_MAX wide characters (NUL-terminated). */
static inline int hs_setcchar(cchar_t *cell, const wchar_t *text, attr_t attrs, short pair) {
    return setcchar(cell, text, attrs, pair, NULL);
}

/* Terminal size from the kernel, for SIGWINCH handling (returns 0 on success). */
static inline int hs_terminal_size(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

static inline int hs_codeset_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    if (!cs) return 0;
    return (cs[0] == 'U' || cs[0] == 'u') && (cs[1] == 'T' || cs[1] == 't') && (cs[2] == 'F' || cs[2] == 'f');
}

static inline int hs_ccharw_max(void) { return CCHARW_MAX; }
static inline int hs_color_pairs(void) { return COLOR_PAIRS; }

#endif
