"""``toolweave eval suite``: a suite of agent tasks in a data file (``format``), run through
the agent (``run``), scored (``score``) and reported (``report``); tools named in the suite
(``tools``), an oracle that checks the scoring (``oracle``), and the command (``cli``)."""
