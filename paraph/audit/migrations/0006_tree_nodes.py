"""The roots of the audit tree's complete subtrees (ADR 42): a new table,
filled by the next checkpoint job."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_drop_chain_head'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditNode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField()),
                ('index', models.PositiveBigIntegerField()),
                ('hash', models.BinaryField(max_length=32)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'index'), name='audit_node_place')],
            },
        ),
    ]
