"""Stand-in for ``dataiku.customrecipe``: the recipe's roles and config, set by the test with ``setup``."""

_state = {"config": {}, "inputs": {}, "outputs": {}}


def setup(config, inputs, outputs):
    """What DSS would hand the recipe: its config and the dataset names of each role."""
    _state.update(config=dict(config), inputs=dict(inputs), outputs=dict(outputs))


def get_recipe_config():
    return dict(_state["config"])


def get_input_names_for_role(role):
    return list(_state["inputs"].get(role, []))


def get_output_names_for_role(role):
    return list(_state["outputs"].get(role, []))
