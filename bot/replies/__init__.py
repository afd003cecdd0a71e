"""Reply understanding: what a customer's SMS, e-mail or chat reply means.

Pure functions, no I/O and no logging of message text. Importing this package
compiles nothing: an entry point may hand in cached regex programs first
(:mod:`bot.replies.regex_programs`). Where things live:

* :mod:`bot.replies.parser` - ``parse_reply``: intent, opt-out and promised
  instalments (LABELING.md), in steps: :mod:`~bot.replies.intent_cues`,
  :mod:`~bot.replies.promise_clauses`, :mod:`~bot.replies.instalments`,
  :mod:`~bot.replies.confidence` over one :mod:`~bot.replies.analysis`;
* :mod:`bot.replies.model` - the results: ``Reply``, ``Intent``, ``PromiseTerm``,
  ``Span``, ``PRIORITY``, ``LOW_CONFIDENCE``;
* :mod:`bot.replies.email_cleanup` - ``clean_email_reply`` strips quoted history
  and signatures from e-mail bodies first;
* the words and how they are found: :mod:`~bot.replies.cue_lexicons`,
  :mod:`~bot.replies.language_scanners`, :mod:`~bot.replies.cue_scanner`,
  :mod:`~bot.replies.alternations`, :mod:`~bot.replies.dates`,
  :mod:`~bot.replies.amounts`, :mod:`~bot.replies.numbers`,
  :mod:`~bot.replies.optout`, :mod:`~bot.replies.normalize`.
"""
