"""The shipped ISO tables equal pycountry's (a dev-only dependency)."""

import pycountry

from streamcore.iso import COUNTRY_CODES, CURRENCY_CODES


def test_country_codes_are_the_iso_3166_alpha_2_codes() -> None:
    assert {c.alpha_2 for c in pycountry.countries} == COUNTRY_CODES


def test_currency_codes_are_the_iso_4217_codes() -> None:
    assert {c.alpha_3 for c in pycountry.currencies} == CURRENCY_CODES
