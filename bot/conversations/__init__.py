"""Conversations: the dialog with a customer and the message templates it speaks in.

Pure: no files, no clock, no settings. Template files are read by
``storage.template_files``; what templates print about the organisation comes in as a
:class:`~bot.domain.brand.Brand`.

* :mod:`~bot.conversations.dialog` - what to answer a reply, and the collector hand-off;
* templates, in the order a text goes through them: :mod:`~.template_spec` (a file's
  YAML, parsed and shape-checked), :mod:`~.template_compiler` (Jinja syntax and sandbox
  rules, in :mod:`~.template_sandbox`), :mod:`~.template_store` (the templates in use),
  :mod:`~.render_context` (what a text may print, from a case),
  :mod:`~.template_renderer` (privacy-aware rendering, with :mod:`~.render_cache`);
  :mod:`~.disclosure` (limited and verified levels), :mod:`~.template_errors`,
  :mod:`~.template_filters` (money, dates, names) and :mod:`~.template_lint`
  (``duebot templates lint``).
"""
