"""Channel packages made up for the tests, discovered the way ``channels/`` is
(``ChannelRegistry.discover("channels", "tests.channels.fake_channels")``)."""
