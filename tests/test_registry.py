"""The one registry type and Configurable: names, options, lazy paths, messages, to_config."""

from __future__ import annotations

import pytest

from hypernas.errors import ConfigError, StrategyError
from hypernas.registry import Configurable, Registry


class Widget(Configurable):
    def __init__(self, size: int = 1, parts: tuple[int, ...] = (1, 2), inner: Configurable | None = None) -> None:
        self.size = size
        self.parts = parts
        self.inner = inner


def test_build_from_a_name_or_a_mapping_and_to_config_rebuilds_it():
    widgets: Registry[type[Widget]] = Registry("widget")
    widgets.register("widget")(Widget)
    made = widgets.build({"type": "widget", "size": 3, "inner": None})
    assert made.to_config() == {"type": "widget", "size": 3, "parts": [1, 2], "inner": None}
    assert widgets.build(made.to_config()).to_config() == made.to_config()
    nested = Widget(inner=Widget(size=2))
    assert nested.to_config()["inner"] == {"type": "widget", "size": 2, "parts": [1, 2], "inner": None}
    assert repr(Widget(size=5)) == "Widget(size=5, parts=[1, 2], inner=None)"


def test_unknown_names_and_options_get_one_message_naming_what_is_allowed():
    widgets: Registry[type[Widget]] = Registry("widget", error=StrategyError)
    widgets.register("widget")(Widget)
    with pytest.raises(StrategyError, match=r"unknown widget 'gadget'; known widgets: widget"):
        widgets.build("gadget")
    with pytest.raises(StrategyError, match=r"widget 'widget': unknown option 'colour'; allowed: size, parts, inner"):
        widgets.build({"type": "widget", "colour": "red"})
    with pytest.raises(StrategyError, match=r"widget config needs a 'type'"):
        widgets.build({"size": 1})


def test_a_type_error_inside_the_entry_is_a_bug_and_propagates():
    def broken(size: int = 1) -> None:
        raise TypeError("inside")

    things: Registry[object] = Registry("thing")
    things.register("broken")(broken)
    with pytest.raises(TypeError, match="inside"):
        things.build("broken")


def test_lazy_paths_load_on_first_use_and_entries_with_kwargs_take_any_option():
    things: Registry[object] = Registry("thing")
    things.register_path("dumps", "json:dumps")
    assert things.build({"type": "dumps", "obj": [1], "indent": None}) == "[1]"
    with pytest.raises(ConfigError, match="'package.module:attr'"):
        things.register_path("bad", "json.dumps")


def test_temporarily_registers_for_the_block_only():
    widgets: Registry[type[Widget]] = Registry("widget")
    with widgets.temporarily("temp", Widget):
        assert "temp" in widgets
    assert "temp" not in widgets


def test_a_registered_class_keeps_its_first_name_and_temporarily_restores_names():
    widgets: Registry[type[Widget]] = Registry("widget")
    widgets.register("widget")(Widget)
    with widgets.temporarily("alias", Widget):
        assert widgets.build("alias").to_config()["type"] == "widget"

    class Fresh(Widget):
        pass

    with widgets.temporarily("fresh", Fresh):
        assert Fresh.name == "fresh"
    assert Fresh.name == "widget" and "name" not in vars(Fresh)


def test_a_missing_required_option_is_named_not_a_python_signature():
    class Needy(Configurable):
        def __init__(self, data: str, size: int = 1) -> None:
            self.data, self.size = data, size

    things: Registry[type[Needy]] = Registry("thing")
    things.register("needy")(Needy)
    with pytest.raises(ConfigError, match=r"^thing 'needy' needs the option 'data'; allowed: data, size$"):
        things.build("needy")
