"""Reference data kept as data (domain-facts §3 and §6): NAPAS bank BINs, dues rates, dues split.

Admins edit or extend these in Django admin; nothing here is a constant in code.
"""

from datetime import date

from django.db import migrations

BANKS = [
    ("970436", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam"),
    ("970415", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam"),
    ("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    ("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    ("970407", "Techcombank", "Ngân hàng TMCP Kỹ thương Việt Nam"),
    ("970422", "MB", "Ngân hàng TMCP Quân đội"),
    ("970416", "ACB", "Ngân hàng TMCP Á Châu"),
    ("970403", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    ("970432", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    ("970423", "TPBank", "Ngân hàng TMCP Tiên Phong"),
    ("970437", "HDBank", "Ngân hàng TMCP Phát triển TP. Hồ Chí Minh"),
    ("970443", "SHB", "Ngân hàng TMCP Sài Gòn – Hà Nội"),
    ("970441", "VIB", "Ngân hàng TMCP Quốc tế Việt Nam"),
    ("970448", "OCB", "Ngân hàng TMCP Phương Đông"),
    ("970431", "Eximbank", "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam"),
    ("970426", "MSB", "Ngân hàng TMCP Hàng Hải Việt Nam"),
    ("970440", "SeABank", "Ngân hàng TMCP Đông Nam Á"),
]


def load(apps, schema_editor):
    Bank = apps.get_model("activities", "Bank")
    DuesRate = apps.get_model("activities", "DuesRate")
    DuesSplit = apps.get_model("activities", "DuesSplit")
    for bin_code, short_name, name in BANKS:
        Bank.objects.update_or_create(bin=bin_code, defaults={"short_name": short_name, "name": name})
    start = date(2011, 1, 1)  # Nghị quyết 07-NQ/TWĐTN
    for category, amount in (("unsalaried", 2000), ("salaried", 5000), ("abroad", 5000)):
        DuesRate.objects.get_or_create(category=category, effective_from=start, defaults={"monthly_amount": amount})
    DuesSplit.objects.get_or_create(effective_from=date(2019, 1, 1), defaults={"kept_numerator": 2, "kept_denominator": 3})


def unload(apps, schema_editor):
    apps.get_model("activities", "DuesSplit").objects.all().delete()
    apps.get_model("activities", "DuesRate").objects.all().delete()
    apps.get_model("activities", "Bank").objects.filter(bin__in=[b[0] for b in BANKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
