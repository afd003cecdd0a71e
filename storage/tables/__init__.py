"""The SQLModel tables, by area. Money is integer minor units (BigInteger); datetimes are
aware UTC. Rows are persistence shapes only; the domain works on ``bot.domain`` objects
and the repositories translate between the two.

Each module defines (maps) its tables when imported, and a table costs a few
milliseconds to define: a repository imports the modules of the tables it uses, so a
command that lists cases does not define the users', chats' or campaigns' tables (a
command line's start). :mod:`storage.models` imports every one of them: what needs the
whole schema (migrations, the tests' truncation) imports it.
"""
