// HookApp: see docs/architecture.md
public enum HookAppModule {}
