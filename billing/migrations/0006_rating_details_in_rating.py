"""Rating details move from a table (a row per fee item) into a JSON column of the rating:
they are only ever read with their rating, and the rows cost ingestion three more rows,
index entries and COPY lines per generation."""

import django.db.models.deletion
from django.db import migrations, models

import zenlogs.jsonutil


def details_into_ratings(apps, schema_editor):
    Rating = apps.get_model("billing", "Rating")
    RatingDetail = apps.get_model("billing", "RatingDetail")
    lines = {}
    for d in RatingDetail.objects.order_by("rating_id", "position").iterator(chunk_size=5000):
        line = {
            "fee_item_code": d.fee_item_code,
            "rate": d.rate,
            "origin_amount": d.origin_amount,
            "discount_amount": d.discount_amount,
            "bill_amount": d.bill_amount,
        }
        if d.extra:
            line["extra"] = d.extra
        lines.setdefault(d.rating_id, []).append(line)
    ratings = list(Rating.objects.filter(pk__in=lines))
    for rating in ratings:
        rating.details = lines[rating.pk]
    Rating.objects.bulk_update(ratings, ["details"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_ingest_without_child_constraints"),
    ]

    operations = [
        # Free the name "details" (the old reverse accessor) for the new column.
        migrations.AlterField(
            model_name="ratingdetail",
            name="rating",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="billing.rating",
            ),
        ),
        migrations.AddField(
            model_name="rating",
            name="details",
            field=models.JSONField(
                blank=True,
                decoder=zenlogs.jsonutil.DecimalJSONDecoder,
                default=list,
                encoder=zenlogs.jsonutil.DecimalJSONEncoder,
            ),
        ),
        migrations.RunPython(details_into_ratings, migrations.RunPython.noop),
        migrations.DeleteModel(name="RatingDetail"),
    ]
