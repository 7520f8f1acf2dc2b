// HookReplay: replay and forward
public enum HookReplayModule {}
