#!/usr/bin/env python3
"""Make DIR a HOME where the real claude opens straight at its prompt box.

    seed_home.py DIR API_KEY TRUSTED_DIR

Each key below stands for a dialog claude 2.1.x would otherwise stop at:
  ~/.claude.json  hasCompletedOnboarding             welcome screen, theme picker
                  customApiKeyResponses.approved     "Detected a custom API key ... use it?"
                    (the key's last 20 characters)
                  projects[<dir>].hasTrustDialogAccepted
                                                     "Quick safety check" (trust) for <dir> and
                                                     every directory below it
                  fullscreenUpsellSeenCount,         "Try the new fullscreen renderer?", the
                  hasSeenAutoDefaultNudge/Notice     auto-mode nudge and banner
  ~/.claude/settings.json
                  permissions.defaultMode "default"  else claude starts in auto mode and the
                                                     permission dialogs the tests need never show
                  permissions.allow "Bash(python3 -c:*)"
                                                     the stub's RUN_FAIL runs without a dialog
Stdlib only; prints nothing.
"""

import json
import os
import sys


def write_json(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)


def seed(home, api_key, trusted):
    trusted = os.path.realpath(trusted)  # claude looks trust up by the cwd's real path
    config = {
        "hasCompletedOnboarding": True,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": {
            trusted: {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}
        },
        "fullscreenUpsellSeenCount": 3,
        "hasSeenAutoDefaultNudge": True,
        "hasSeenAutoDefaultNotice": True,
        "autoUpdates": False,
        "numStartups": 5,
    }
    os.makedirs(os.path.join(home, ".claude"), mode=0o700, exist_ok=True)
    write_json(os.path.join(home, ".claude.json"), config, 0o600)
    settings = {"permissions": {"defaultMode": "default", "allow": ["Bash(python3 -c:*)"]}}
    write_json(os.path.join(home, ".claude", "settings.json"), settings, 0o644)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: seed_home.py DIR API_KEY TRUSTED_DIR")
    seed(*sys.argv[1:])
