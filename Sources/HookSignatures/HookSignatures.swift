// HookSignatures: see docs/architecture.md
public enum HookSignaturesModule {}
