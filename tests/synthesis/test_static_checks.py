from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.static_checks import check_module


def checks(code: str, slot: str = "model") -> list[tuple[str, int | None]]:
    return [(p.check, p.line) for p in check_module(code, CONTRACTS[slot])]


def test_every_contract_example_passes_its_own_checks() -> None:
    for slot, contract in CONTRACTS.items():
        for problem_type in ("classification", "regression"):
            assert check_module(contract.example(problem_type), contract) == [], slot


def test_small_model_slips_are_caught_with_their_line() -> None:
    code = (
        "from sklearn.neighbors import KNeighborsClassifier\n"
        "SEARCH_SPACE = {'k': (1, 10)}\n"
        "def build_model(params):\n"
        "    scaler = MinMaxScaler()\n"
        "    return KNeighborsClassifier(n_neighbors=params['k'], random_state=params['seed'])\n"
    )
    assert sorted(checks(code)) == [("bad-keyword", 5), ("undeclared-param", 5),
                                    ("undefined-name", 4)]


def test_params_get_counts_as_a_read() -> None:
    code = "SEARCH_SPACE = {}\ndef build_model(params):\n    return params.get('alpha')\n"
    assert checks(code) == [("undeclared-param", 3)]


def test_missing_function_and_search_space() -> None:
    assert sorted(c for c, _ in checks("x = 1\n")) == ["search-space", "signature"]


def test_search_space_must_be_a_literal() -> None:
    code = "import numpy as np\nSEARCH_SPACE = {'a': np.arange(3)}\ndef build_model(params):\n" \
           "    return None\n"
    assert checks(code) == [("search-space", 2)]


def test_syntax_error_is_reported_not_raised() -> None:
    assert checks("def build_model(params:\n") == [("syntax", 1)]
