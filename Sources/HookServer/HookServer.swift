public enum HookServerModule {}
