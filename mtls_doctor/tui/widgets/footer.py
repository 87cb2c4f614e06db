"""The key footer of every screen: Textual's, recomposed only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's `Footer`, which recomposes itself (a dozen key widgets mounted, styled and laid
    out again) each time its screen's bindings are updated: each time the screen shows, and
    at each focus change, even when it shows the same keys. That was up to half of the
    event-loop block that opens a screen again (the walkthrough: 35-50 ms -> 15-25 ms with a
    big truststore). This one recomposes when what it shows changed: the keys, their texts,
    whether they are enabled, and the palette's hint."""

    def __init__(self, *children: Any, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._shown: object = None

    def _showing(self, screen: Screen[Any]) -> object:
        """What a compose would show now."""
        keys = tuple((binding.key, binding.key_display, binding.description, binding.action,
                      enabled, tooltip)
                     for _node, binding, enabled, tooltip in screen.active_bindings.values()
                     if binding.show)
        return keys, self.show_command_palette, self.compact

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (self.is_attached and screen is self.screen and screen.app.app_focus):
            super().bindings_changed(screen)  # (Textual's own handling of those cases)
            return
        showing = self._showing(screen)
        if showing != self._shown or not self._bindings_ready:
            self._shown = showing
            super().bindings_changed(screen)
