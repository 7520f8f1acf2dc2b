// TermCurses: see docs/architecture.md
public enum TermCursesModule {}
import CNcurses
