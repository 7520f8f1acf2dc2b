// TermUI: see docs/architecture.md
public enum TermUIModule {}
