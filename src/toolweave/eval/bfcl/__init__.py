"""BFCL (the Berkeley Function-Calling Leaderboard) on toolweave: its tasks and answers
(``data``), the official checkers (``checker``), single-turn prediction (``predict``) and runs
(``single_turn``: `run_bfcl`), the multi-turn conversations on its executable environments
(``multi_turn``, ``multi_turn_run``), an oracle that checks the scoring (``oracle``), and the
``toolweave eval bfcl`` command (``cli``)."""
