"""Call-triage suggester for 112 operator notes written in informal Indonesian.

The suggester proposes a call type, an incident type and the agencies to
dispatch.  Its backbone is a lexicon: the Indonesian keywords of the taxonomy
plus the general synonyms, slang and call-type cues below, matched over a
normalised, lightly stemmed and typo-tolerant token stream with negation and
hypothetical scopes.  When several hazards appear, the one with the most
specific evidence, named first and of higher priority is chosen.

A similarity-weighted nearest-neighbour model over TF-IDF word and character
n-grams of operator-confirmed notes adds to the lexicon evidence, so the
suggester picks up local wording as operators confirm classifications.  (A
naive Bayes model was tried first; with two to five notes per incident type
it mostly added noise, while neighbours stay quiet unless a note resembles a
confirmed one.)

Standard library only; nothing here touches Django until `default_suggester`.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

CALL_TYPES: tuple[str, ...] = ("emergency", "information", "complaint", "ghost", "prank")
NON_EMERGENCY: tuple[str, ...] = CALL_TYPES[1:]


@dataclass(frozen=True)
class Suggestion:
    call_type: str
    incident_type: str | None
    primary_agency: str | None
    agencies: list[str]
    confidence: float
    # The likeliest incident types, best first, each with the confidence of
    # "an emergency of this type" (at most three); empty when the note carries
    # no incident content.
    candidates: tuple[tuple[str, float], ...] = ()
    # The incident types the agencies come from: the main one, then any other
    # hazard the note also reports (a collision with injured people).
    incident_types: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "call_type": self.call_type,
            "incident_type": self.incident_type,
            "primary_agency": self.primary_agency,
            "agencies": list(self.agencies),
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Example:
    text: str
    call_type: str
    incident_type: str | None


# ---------------------------------------------------------------------------
# Normalisation tables (general informal Indonesian and Bengkulu Malay)
# ---------------------------------------------------------------------------

ABBREVIATIONS: dict[str, str] = {
    # negation
    "tdk": "tidak", "tak": "tidak", "gak": "tidak", "ga": "tidak", "gk": "tidak", "ngga": "tidak",
    "nggak": "tidak", "nggk": "tidak", "ngk": "tidak", "enggak": "tidak", "engga": "tidak",
    "kagak": "tidak", "ndak": "tidak", "nda": "tidak", "dak": "tidak", "idak": "tidak", "tida": "tidak",
    "bkn": "bukan", "blm": "belum", "blom": "belum", "belom": "belum", "jgn": "jangan",
    # function words
    "yg": "yang", "yng": "yang", "dr": "dari", "dri": "dari", "dkt": "dekat", "deket": "dekat",
    "dgn": "dengan", "dg": "dengan", "utk": "untuk", "untk": "untuk", "krn": "karena", "karna": "karena",
    "krna": "karena", "tp": "tapi", "tpi": "tapi", "jd": "jadi", "sm": "sama", "ama": "sama",
    "pd": "pada", "ttg": "tentang", "klo": "kalau", "kalo": "kalau", "kl": "kalau", "jg": "juga",
    "aja": "saja", "aj": "saja", "sj": "saja", "doang": "saja", "bae": "saja", "cm": "cuma",
    "cuman": "cuma", "bgt": "banget", "bngt": "banget", "dll": "dan lain lain", "dsb": "dan sebagainya",
    "emg": "memang", "sampe": "sampai", "nyampe": "sampai", "abis": "habis", "pake": "pakai",
    "lg": "lagi", "lgi": "lagi", "msh": "masih", "trs": "terus", "trus": "terus", "sdg": "sedang",
    "udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah", "uda": "sudah", "udahan": "sudah",
    "bs": "bisa", "bsa": "bisa", "hrs": "harus", "dpt": "dapat", "tau": "tahu", "liat": "lihat",
    "dtg": "datang", "dateng": "datang", "br": "baru", "bru": "baru", "bnr": "benar", "smua": "semua",
    "ktnya": "katanya", "kyk": "kayak", "kyak": "kayak", "kek": "kayak", "kyknya": "kayaknya",
    "kayanya": "kayaknya", "gmn": "bagaimana", "gimana": "bagaimana", "gmana": "bagaimana",
    "bgmn": "bagaimana", "knp": "kenapa", "dmn": "dimana", "dimn": "dimana", "brp": "berapa",
    "kpn": "kapan", "mhn": "mohon", "tlg": "tolong", "tolongin": "tolong", "tulung": "tolong",
    "sy": "saya", "sya": "saya", "gw": "saya", "gue": "saya", "aku": "saya",
    # people and places
    "org": "orang", "orng": "orang", "rmh": "rumah", "ank": "anak", "bpk": "bapak", "pak": "bapak",
    "ortu": "orang tua", "lk": "laki", "cowo": "cowok", "cewe": "cewek", "sdr": "saudara",
    "mhs": "mahasiswa", "pnlp": "penelepon", "jl": "jalan", "jln": "jalan", "gg": "gang",
    "kel": "kelurahan", "kec": "kecamatan", "lok": "lokasi", "dlm": "dalam", "dpn": "depan",
    "blkg": "belakang", "blakang": "belakang", "sblh": "sebelah", "sbl": "sebelah", "psr": "pasar",
    "sklh": "sekolah", "kntr": "kantor", "lt": "lantai",
    # time and quantity
    "skrg": "sekarang", "skrng": "sekarang", "skg": "sekarang", "td": "tadi", "tdi": "tadi",
    "kmrn": "kemarin", "kmarin": "kemarin", "mlm": "malam", "sktr": "sekitar", "bnyk": "banyak",
    "byk": "banyak", "bbrp": "beberapa", "th": "tahun", "thn": "tahun", "bln": "bulan",
    "mnt": "menit", "dtk": "detik", "jm": "jam", "sgr": "segera", "cpt": "cepat", "cepet": "cepat",
    # communication and services
    "tlp": "telepon", "telp": "telepon", "tlpn": "telepon", "telpon": "telepon", "nelp": "menelepon",
    "nelpon": "menelepon", "ditelp": "ditelepon", "no": "nomor", "nomer": "nomor", "nmr": "nomor",
    "ambulan": "ambulans", "ambulance": "ambulans", "ambulanse": "ambulans", "lalin": "lalulintas",
    "info": "informasi", "infonya": "informasi",
    # Bengkulu Malay
    "ado": "ada", "apo": "apa", "duo": "dua", "tigo": "tiga", "nian": "sekali", "gedang": "besar",
    "gede": "besar", "item": "hitam", "kito": "kita", "cak": "seperti",
}

NEGATORS = frozenset({"tidak", "bukan", "belum", "tanpa", "jangan"})
# Words that carry no incident content: pleas, urgency, greetings, forms of
# address and the words of the call itself.  A note made only of these
# ("tolong cepat", "halo halo", "pak tolong pak") says that someone called,
# not what happened, so it never yields an incident type.
CONTENT_FREE_WORDS = frozenset(
    """
    tolong bantu bantuin bantuan minta mohon cepat cepetan buruan segera darurat gawat urgent emergency help
    please sos halo hallo helo hello alo hai hei hey woi oi permisi assalamualaikum salam selamat pagi siang sore
    malam bapak ibu bu mas mbak bang abang kak kakak dik adik om tante nak saya kami kita kamu anda sini situ
    operator petugas blank call panggilan telepon menelepon iya ok oke aduh duh astaga astagfirullah allah ayo
    sekarang dong segerakan harap sekali lekas tunggu dengar tidak jelas
    """.split()
)

# Words that make what follows hypothetical ("rawan tabrakan", "takut kesetrum",
# "hampir roboh"): scoped like negation, since nothing has happened yet.
HYPOTHETICALS = frozenset({"rawan", "takut", "khawatir", "potensi", "berpotensi", "hampir", "nyaris", "berisiko"})
QUESTION_WORDS = frozenset({"apakah", "bagaimana", "kapan", "berapa", "dimana", "kenapa", "mengapa", "apa", "siapa"})
SCOPE_BREAKERS = frozenset(
    {"tapi", "tetapi", "namun", "cuma", "hanya", "melainkan", "justru", "malah", "sedangkan", "padahal", "tetap"}
)
NEGATION_SCOPE = 3
HYPOTHETICAL_SCOPE = 2
QUESTION_LEAD = 1.5

STOPWORDS = frozenset(
    {
        "yang", "di", "ke", "dari", "dan", "atau", "ada", "itu", "ini", "nya", "sudah", "masih", "lagi",
        "juga", "saja", "sangat", "banget", "sekali", "dengan", "untuk", "pada", "si", "tuh", "nih",
        "dong", "deh", "sih", "kok", "lah", "pun", "akan", "mau", "sedang", "para", "oleh", "ya", "yah",
        "kan", "pula", "agak", "cukup", "terlalu", "begitu", "udah", "sama", "kalau", "karena", "jadi",
        "terus", "lalu", "kemudian", "pas", "waktu", "saat", "tadi", "baru", "katanya", "kata", "bilang",
    }
)

# Everyday words and lexicalised derivations ("keracunan" is poisoning, not
# "racun"): never "corrected" towards a lexicon word by the typo-tolerant
# matcher, never stripped of what only looks like an affix, and never used
# as the root of a lexicon word.
COMMON_WORDS = frozenset(
    """
    keracunan kehilangan tanjakan turunan antara makin malah posisi tenang kasur sabun sarung kotak pamit mudik
    ngajak ketuk ketukan lintas massal berbisik padang cepak kapan lagu lapak tegang rapat nakal bising keliling
    abang abu ada adik agak agar air akan akibat aku alamat ambil anak anggota angin angkot antar apa apabila
    apotek ashar asrama atap atas atau atm ayah baca badan bagaimana bagus bahu bahwa baik baju bandara bang
    banget bangun bank bantu banyak bapak barang baris baru barusan basah batu bawa bawah bayar beberapa becak
    begini begitu belajar belakang beli belum benar bensin berapa beras berat berdiri berdua beri bersama bersih
    bertiga besar besok betis betul biar biasa biasanya bibi bicara bidan bikin bilang bingung biru bisa blok
    boleh bos botol bu buat buka bukan bukit bulan buruh buruk bus butuh camat cangkir capek cari cepat cerita
    coba coklat cuci cucu cukup cuma dada dalam dan danau dapat darat datang dekat delapan dengan dengar depan
    desa detik dia dibuat dik dikasih dimana dinas dinding dingin diri doang dokter dua duduk empat enam gang
    gedung gelap gelas gereja gigi gini gitu guru habis halte hampir handphone hanya harap harga hari harus haus
    hidung hidup hijau hitam hitung hp hubungi hujan ibu ikut ingin ini istri isya itu jadi jalan jam jangan
    jarang jari jauh jawab jelek jembatan jendela jika jual juga jumat juta kabar kabel kadang kaget kak kakak
    kakek kaki kalau kali kamar kami kamis kampung kamu kanan kantor kapal kapan karena karyawan kasih kata
    katanya kawan kayak kebun kecamatan kecil kedua keempat kelas kelima keluar keluarga kelurahan kemari
    kemarin kembali kemudian kena kenal kenapa kendaraan kenyang kepada kepala keras kereta kering kerja kertas
    ketiga ketika ketua kipas kira kiri kirim kita klinik komplek kompor kontrakan kos kost kota kotor kuat
    kuburan kulit kulkas kunci kuning kurang kursi lagi lain lalu lama lambat lampu lantai lantas lapangan lapar
    lapor laporan lari lebar lebih leher lembah lengan lewat lihat lima listrik lokasi lompat lorong luar lurah
    lurus lusa lutut maaf macam magrib mahal mahasiswa main makam makan malam mana mandi marah mas masak masih
    masjid masuk mata mau mbak meja memang memberi membuat menantu menara menelepon mengaku mengapa menit merah
    mereka mertua meskipun minggu minta minum mirip mobil mohon motor muda mudah muka mulai mulut mungkin murid
    naik nak nama namun nanti nasi nelayan nenek ngaku ngomong nomor nonton ojek om operator orang oranye pacar
    padahal pagar pagi paha pak pakai paksa paling paman panas panjang pantai parkiran pasang pasar pasti pecah
    pedagang pegang pegawai pejalan pel pelabuhan pelajar pelan pembeli pemilik pemuda pendek penduduk penelepon
    pengen pengendara penghuni penjual penonton penuh penumpang perahu perawat perempatan pergi perlu pernah
    pertama pertigaan perumahan perut pesan pesawat pesisir petang petani petugas pikir pinggang pinggul pinjam
    pink pintu piring polisi pom pondok ponsel potong pulang puluh pun punggung punya puskesmas putih rabu radio
    rakyat ramai rambut rapat rasa ratus rendah ribu ringan rukun rumah saat sabtu saja sakit salah sama sambil
    sampai sangat sanggup santri sapu satu saudara saya sayang sebab sebagian sebelah sebelas sebelum sedang
    sedih sedikit sehingga sejuta sekali sekarang sekeluarga sekitar sekolah selalu selama selasa selatan
    selesai selokan seluruh semalam sembilan semoga sempit semua semuanya senang sendiri sendok senin senter
    sepeda seperti sepi sepuluh sepupu seratus seribu sering sesudah setelah siang siapa silakan simpan simpang
    sini sisa siswa situ soal sopir sore spbu stasiun suami suara subuh sudah sulit sungai supaya supir susah
    tadi tahu tahun tak taksi takut taman tamu tangan tanpa tante tanya tapi taruh telepon televisi telinga
    teman tembok tempat temu tengah tentang tentara terakhir terang terapi teras terima terlalu terminal terus
    tetangga tetap tetapi tiap tiba tidak tidur tiga tikungan timur tinggal tinggi toko tolong truk tua tubuh
    tujuh tukang tulang tulis tunggu turun tutup tv uang ujar ujung ukur umur ungu untuk usia utara wajah wajib
    waktu walaupun warga warung yang zuhur
    """.split()
)

_PUNCT_HARD = frozenset(".!?;\n")
_DOT_ABBREVIATIONS = frozenset(
    {"jl", "jln", "kel", "kec", "gg", "no", "dr", "bpk", "pak", "rt", "rw", "km", "lt", "st", "h", "hj",
     "ir", "kab", "prov", "ds", "dsn", "perum", "kp", "sd", "smp", "sma", "tn", "ny", "sdr", "dll"}
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:-[A-Za-z0-9\u00C0-\u024F]+)*|[.!?;:,()\"\u201c\u201d'\u2018\u2019\n&/]| - ")
_REDUP_DIGIT = re.compile(r"^([a-z]{2,})2([a-z]*)$")
_LAUGH = (
    (re.compile(r"^(?:wk){2,}w?$"), "wkwk"),
    (re.compile(r"^(?:ha){2,}h?$"), "haha"),
    (re.compile(r"^(?:he){2,}h?$"), "hehe"),
    (re.compile(r"^(?:hi){2,}h?$"), "hihi"),
)


# ---------------------------------------------------------------------------
# Light stemming
# ---------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")
_PARTICLES = ("nya", "lah", "kah", "pun", "ku", "mu")
_SUFFIXES = ("kan", "an", "in", "i")


def _strip_prefix(word: str) -> set[str]:
    """Roots left after removing one (possibly nasal) prefix, formal or informal."""
    out: set[str] = set()

    def add(root: str, minimum: int = 3) -> None:
        if len(root) >= minimum:
            out.add(root)

    for prefix in ("di", "ter", "ke", "ber", "per", "se"):
        if word.startswith(prefix):
            add(word[len(prefix):])
    if word.startswith("be") and len(word) > 4 and word[2] not in _VOWELS and word[2] != "r":
        add(word[2:], 4)
    for prefix in ("me", "pe"):
        if not word.startswith(prefix):
            continue
        rest = word[2:]
        if rest.startswith("ng"):
            tail = rest[2:]
            if tail[:1] in _VOWELS:
                add(tail)
                add("k" + tail)
            elif tail[:1] in ("g", "h", "k"):
                add(tail)
        elif rest.startswith("ny"):
            tail = rest[2:]
            if tail[:1] in _VOWELS:
                add("s" + tail)
                add("c" + tail)
        elif rest.startswith("m"):
            tail = rest[1:]
            if tail[:1] in _VOWELS:
                add("p" + tail)
                add(tail)
            elif tail[:1] in ("b", "f", "p"):
                add(tail)
        elif rest.startswith("n"):
            tail = rest[1:]
            if tail[:1] in _VOWELS:
                add("t" + tail)
                add(tail)
            elif tail[:1] in ("c", "d", "j", "t", "s", "z"):
                add(tail)
        elif rest[:1] in ("l", "r", "w", "y"):
            add(rest)
    if word.startswith("nge") and len(word) > 5 and word[3] not in _VOWELS:
        add(word[3:])
    elif word.startswith("ng") and word[2:3] in _VOWELS:
        add(word[2:])
        add("k" + word[2:])
    elif word.startswith("ny") and word[2:3] in _VOWELS:
        add("s" + word[2:])
        add("c" + word[2:])
    elif word[:1] == "n" and word[1:2] in _VOWELS:
        add("t" + word[1:], 4)
    elif word[:1] == "m" and word[1:2] in _VOWELS:
        add("p" + word[1:], 4)
    return out


@lru_cache(maxsize=65536)
def derived_roots(word: str) -> frozenset[str]:
    """Plausible roots of an affixed word, excluding the word itself.

    Deliberately generous: a spurious root only matters when it equals a
    lexicon word, lexicon words are never indexed under roots that are
    everyday words, and ambiguous roots ("balik", "kunci") never stand for
    their affixed forms.
    """
    if len(word) < 4 or word in COMMON_WORDS or not word.isalpha():
        return frozenset()
    bases = {word}
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 3:
            bases.add(word[: -len(particle)])
    roots: set[str] = set()
    for base in bases:
        prefixed = _strip_prefix(base)
        suffixed = {base[: -len(s)] for s in _SUFFIXES if base.endswith(s) and len(base) - len(s) >= 4 and s != "i"}
        roots |= prefixed | suffixed
        for stripped in prefixed:
            for s in _SUFFIXES:
                if stripped.endswith(s) and len(stripped) - len(s) >= 3:
                    roots.add(stripped[: -len(s)])
                    roots |= _strip_prefix(stripped[: -len(s)]) if stripped.startswith(("ke", "ber", "per")) else set()
        if base != word:
            roots.add(base)
    roots.discard(word)
    return frozenset(roots)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """One canonical root for the learned model's word features."""
    roots = [r for r in derived_roots(word) if len(r) >= 4]
    return min(roots, key=lambda r: (len(r), r)) if roots else word


_VOWEL_SHIFTS = frozenset({("a", "e"), ("e", "a"), ("e", "i"), ("i", "e"), ("o", "u"), ("u", "o")})
SUBSTITUTION_MIN_LENGTH = 8


def _plausible_typo(word: str, target: str) -> bool:
    """True when `word` is `target` with one typo of a kind common in hurried typing.

    A dropped, doubled or swapped letter; an informal vowel shift (kenceng,
    tenggelem); or any substituted letter in a long word.  Other single
    substitutions in short words mostly turn one real word into another
    (kopra/kobra, posisi/polisi) and are not corrected.
    """
    if word == target:
        return False
    lw, lt = len(word), len(target)
    if abs(lw - lt) > 1:
        return False
    i = 0
    while i < min(lw, lt) and word[i] == target[i]:
        i += 1
    if lw > lt:
        return word[i + 1:] == target[i:]
    if lw < lt:
        return word[i:] == target[i + 1:]
    if word[i + 1:] == target[i + 1:]:
        return (word[i], target[i]) in _VOWEL_SHIFTS or lw >= SUBSTITUTION_MIN_LENGTH
    return i + 1 < lw and word[i] == target[i + 1] and word[i + 1] == target[i] and word[i + 2:] == target[i + 2:]


# ---------------------------------------------------------------------------
# General lexicon, written from general Indonesian usage and not from any
# labelled note: synonyms, slang, Bengkulu Malay and compositional cues.
#
# Pattern syntax: space-separated slots that must all occur in one sentence
# within a window of (slots - 1 + slack) tokens, in any order; "|" separates
# single-word alternatives of a slot; a leading "=" matches the exact surface
# form only (no stemming); a trailing "@N" sets the slack (default 3).
# ---------------------------------------------------------------------------

_FIRE = "bakar|kebakaran|api|asap|hangus|kobar|nyala|ledak|ludes|lalap|gosong|bara"
_BUILDING = (
    "rumah|ruko|toko|gudang|kos|kost|kontrakan|kamar|dapur|gedung|bangunan|kantor|sekolah|pasar|kios|"
    "warung|pabrik|hotel|masjid|musala|asrama|plafon|atap|loteng|restoran|bengkel|gubuk|pondok|rusun|"
    "apartemen|mall|swalayan|minimarket|kafe|salon|lapak|perumahan|mes|wisma|penginapan|klinik|indekos"
)
_VEHICLE = "mobil|motor|truk|truck|bus|bis|angkot|kendaraan|pikap|pickup|minibus|travel|tangki|kabin|sedan|mesin|jeep|sepeda"
_VEGETATION = (
    "lahan|ilalang|alang|semak|belukar|rumput|kebun|hutan|sawah|ladang|gambut|tpa|tps|sampah|jerami|"
    "sawit|perkebunan|pekarangan|gulma|daun|serasah|karet"
)
_ELECTRICAL = "kabel|trafo|travo|gardu|panel|meteran|kwh|mcb|colokan|stopkontak|sekring|tiang"
_PERSON = (
    "anak|orang|lansia|nenek|kakek|bapak|ibu|adik|kakak|balita|bocah|suami|istri|remaja|siswa|pelajar|"
    "warga|korban|pria|wanita|laki|perempuan|pemuda|mahasiswa|nelayan|pengunjung|wisatawan|santri|bayi"
)
_WATER = "sungai|laut|danau|kolam|waduk|embung|bendungan|muara|pantai|kali|rawa|irigasi|siring|parit|arus|ombak"
_BOAT = "kapal|perahu|speedboat|sampan|boat|tongkang|pompong|jukung|ketek|bagan|kapal"
_WEAPON = "pisau|golok|celurit|clurit|parang|sajam|samurai|badik|pistol|senpi|airsoft|pedang|keris"
_HIT = "pukul|pukuli|tonjok|hajar|gebuk|gebukin|tampar|tendang|aniaya|cekik|siksa|banting|jambak|tinju|bacok|tusuk"

# Words that describe a fire without saying what burns; all fire types share
# their evidence, so the object named in the note decides the type.
FIRE_WORDS = frozenset(
    "bakar kebakaran kebakar kbakaran api asap hangus kobar berkobar nyala menyala ledak ledakan lalap ludes "
    "gosong bara membara tebal besar hitam pekat kepul mengepul jalar menjalar rambat merambat rembet merembet "
    "sambar nyambar menyambar padam pemadam apar jago merah terjebak kejebak kobaran besar membesar".split()
)
FIRE_TYPES = frozenset({"kebakaran_bangunan", "kebakaran_lahan", "kebakaran_kendaraan", "listrik"})

EXTRA_INCIDENT_LEXICON: dict[str, list[tuple[str, float]]] = {
    "kebakaran_bangunan": [
        (f"{_BUILDING} {_FIRE}@6", 1.6),
        ("jago merah", 2.0),
        ("kobaran|kobar|berkobar|membara", 1.0),
        ("api menjalar|merambat|membesar|merembet|nyambar|menyambar|berkobar", 1.2),
        ("arus pendek", 1.2),
        ("korsleting|korslet|konslet|konsleting|hubungan", 0.5),
        ("tabung|kompor|gas|elpiji|lpg bocor|ledak|meledak", 1.5),
        ("asap hitam|pekat|tebal|mengepul|ngepul", 1.0),
        ("apar|pemadam|damkar", 0.3),
        ("terjebak|kejebak|terkurung api|asap|kobaran", 1.2),
    ],
    "kebakaran_lahan": [
        (f"{_VEGETATION} {_FIRE}|merembet|menjalar@6", 2.2),
        ("pembakaran lahan|sampah|hutan|jerami", 2.0),
        ("api tanah kosong", 1.5),
        ("titik|hotspot api", 1.2),
    ],
    "kebakaran_kendaraan": [
        (f"{_VEHICLE} {_FIRE}@6", 2.2),
        ("kap mesin asap|api|bakar|kebakaran", 1.5),
    ],
    "banjir": [
        ("banjir|kebanjiran|banjer|rob", 1.5),
        ("air masuk rumah|kamar|dapur|permukiman|kampung|sekolah", 1.5),
        ("rumah|jalan|kampung|permukiman|sekolah|sawah|perumahan terendam|kerendam|tergenang|kebanjiran|kemasukan", 1.5),
        ("air naik|meninggi|meluap|setinggi|sedada|seleher|selutut|sepaha|sepinggang|sebetis|semata", 1.2),
        ("sungai|kali|siring|parit|selokan|drainase|bendungan|waduk|tanggul|danau meluap|luber|meluber|jebol", 1.5),
        ("terjebak|terkepung|terisolasi banjir|air", 1.5),
        ("mengungsi|ngungsi|pengungsi|pengungsian", 0.5),
        ("hujan deras|lebat", 0.4),
        ("perahu karet", 0.8),
    ],
    "gempa_tsunami": [
        ("gempa|lindu|tsunami", 2.0),
        ("guncangan|goncangan|getaran|bergetar|bergoyang|goyangan", 1.0),
        ("gempa retak|roboh|runtuh|ambruk|rusak|rubuh@5", 1.5),
        ("reruntuhan|puing", 1.2),
        ("air laut surut|naik|tinggi", 1.5),
        ("lari|mengungsi|evakuasi dataran|bukit|tinggi", 1.0),
        ("bmkg|magnitudo|richter", 0.6),
        ("sirene|sirine tsunami|peringatan", 1.0),
    ],
    "tanah_longsor": [
        ("longsor|longsoran|amblas|ambles|amblesan|ambrol|terban", 2.0),
        ("tanah turun|bergeser|bergerak|retak|runtuh|ambruk|gerak|merekah", 1.5),
        ("tebing|lereng|bukit runtuh|ambruk|roboh|retak|turun|gerus|rubuh", 1.5),
        ("tertimbun|ketimbun|terkubur|tertutup tanah|material|lumpur", 1.5),
        ("abrasi|tergerus|gerusan|terkikis", 1.0),
        ("tebing|lereng", 0.5),
        ("jalan|jembatan putus|amblas|ambles|terputus", 1.0),
    ],
    "pohon_tumbang": [
        ("pohon|dahan|batang|ranting|cabang tumbang|roboh|rubuh|patah|rebah|ambruk|timpa|menimpa|melintang|jatuh|miring|nimpa", 2.2),
        ("angin kencang|ribut|besar|topan|puyuh|puting|beliung|badai", 1.5),
        ("beliung|lesus|badai|topan", 1.5),
        ("atap|seng|genteng|baliho|reklame|billboard|spanduk|tenda terbang|lepas|roboh|ambruk|copot|terlepas|beterbangan", 1.5),
    ],
    "kecelakaan_lalu_lintas": [
        ("kecelakaan|laka|lakalantas|tabrakan|tabrak|serempet|serempetan|terlindas|lindas|tergilas|kelindas", 1.5),
        ("adu banteng", 1.5),
        (f"{_VEHICLE}|pengendara|pemotor|pejalan vs|versus", 2.0),
        ("tabrak lari|belakang", 1.5),
        (f"{_VEHICLE}|pengendara|pemotor|pengemudi|sopir|supir terjatuh|jatuh|terbalik|terguling|oleng|tergelincir|slip|terperosok|nyungsep|terpental|tabrak|nabrak|ditabrak", 1.5),
        ("rem blong", 1.5),
        ("hilang kendali", 1.5),
        ("masuk jurang|parit|siring|selokan|got", 0.8),
        ("tergeletak jalan|aspal", 1.0),
    ],
    "tenggelam_hanyut": [
        ("tenggelam|tenggelem|hanyut|kehanyutan|tercebur|kecebur", 1.8),
        ("terseret|terbawa|kebawa|hanyut|digulung|tergulung|diseret arus|ombak|gelombang", 2.0),
        (f"{_PERSON} tenggelam|hanyut|tercebur|kecebur|terseret", 1.5),
        (f"jatuh|terjatuh|terjun|tercebur|kecebur|nyebur {_WATER}", 1.2),
        (f"mandi|berenang|main {_WATER}", 1.0),
        ("belum|tidak muncul|timbul", 1.0),
        ("arus deras|kuat", 0.8),
        ("basarnas", 0.5),
    ],
    "darurat_medis": [
        ("pingsan|pinsan|semaput|kolaps|kejang|sesak|stroke|struk|keracunan|overdosis", 1.5),
        ("tidak sadar|sadarkan|bernapas|bernafas|bangun|bergerak|merespon", 1.2),
        ("serangan|henti|sakit jantung", 1.5),
        ("nyeri|sakit dada", 1.5),
        ("susah|sulit napas|nafas|bernapas", 1.5),
        ("demam|panas tinggi", 1.0),
        ("muntah|diare|mencret|pucat|lemas|lemes|kesakitan|menggigil|berbusa|busa", 0.7),
        ("luka bakar|parah|robek|serius", 1.0),
        ("patah tulang", 0.8),
        ("pendarahan|perdarahan|berdarah|darah", 0.6),
        ("tersedak|keselek|alergi|asma|diabetes|hipertensi", 0.8),
        ("ambulans|igd|ugd|puskesmas", 0.8),
        ("minta|butuh|perlu|kirim ambulans", 1.2),
    ],
    "ibu_melahirkan": [
        ("melahirkan|lahiran|bersalin|persalinan|ketuban|kontraksi|mules|mulas|bukaan|ngeden|mengejan|brojol", 1.8),
        ("hamil|bumil|kehamilan|kandungan|janin|keguguran|plasenta|preeklampsia|eklampsia", 1.5),
        ("hamil|bumil|kandungan pendarahan|kejang|sakit|pingsan|pucat|tensi|darah|flek", 2.0),
        ("bayi lahir|keluar", 1.5),
        ("bidan|paraji", 0.8),
    ],
    "kriminal": [
        ("maling|pencuri|curi|kecurian|kemalingan|curanmor|begal|rampok|jambret|copet|todong|gasak|raib", 1.8),
        ("bobol|dibobol|membobol|pembobolan|jarah|penjarahan|congkel|dicongkel", 1.5),
        ("motor|mobil|hp|dompet|tas|perhiasan|barang hilang|dicuri|diambil|digondol|dirampas|raib|dibawa", 1.5),
        ("rampas|dirampas|perampasan|peras|pemerasan", 1.2),
        ("pelaku kabur|lari|melarikan", 1.0),
        (_WEAPON, 0.5),
        ("narkoba|sabu|ganja|koplo|narkotika", 1.0),
        ("penipuan|tipu|ditipu|hipnotis|gendam", 1.0),
        ("tembak|ditembak|penembakan|tembakan", 1.0),
    ],
    "perkelahian_keributan": [
        ("kelahi|berkelahi|perkelahian|tawuran|bentrok|bentrokan|keroyok|pengeroyokan|duel|carok|ricuh|kericuhan", 1.8),
        ("baku hantam", 1.8),
        ("adu jotos|mulut", 1.5),
        (_HIT, 1.2),
        (f"saling {_HIT}|lempar|serang|kejar|lawan|dorong|bacok|tusuk", 2.0),
        ("ribut|keributan|rusuh|kerusuhan|onar|cekcok|bertengkar|pertengkaran", 1.2),
        ("mabuk|mabok", 1.0),
        ("hakim sendiri", 1.2),
        ("amuk massa", 1.2),
        ("balap|balapan|trek liar|trekan", 1.8),
        ("knalpot brong|racing", 1.2),
        ("geng motor", 1.5),
        ("preman|intimidasi|ancam|mengancam|diancam", 0.8),
        (_WEAPON, 0.8),
    ],
    "kdrt_kekerasan": [
        ("kdrt", 2.5),
        (f"suami|istri|bini|mertua|ipar|menantu {_HIT}|ancam|bunuh|ngamuk|mengamuk|kekerasan|kasar@4", 2.0),
        (f"anak|balita|bocah|tiri {_HIT}|cubit|sundut|kekerasan|telantar|dikurung|disekap@4", 2.0),
        ("lecehkan|dilecehkan|pelecehan|cabul|dicabuli|pencabulan|perkosa|diperkosa|pemerkosaan|rudapaksa|asusila|persetubuhan|disetubuhi|digerayangi", 2.2),
        ("kekerasan seksual|fisik|psikis", 2.0),
        ("cekik|dicekik|sekap|disekap|penyekapan|siksa|disiksa", 1.5),
        ("perdagangan orang", 1.5),
        ("trafficking", 1.5),
    ],
    "orang_hilang": [
        (f"{_PERSON}|ayah|ibunya|anaknya|keluarga hilang|menghilang|=hilang", 2.0),
        ("belum|tidak pulang|kembali|ketemu", 1.2),
        ("hilang kontak", 1.2),
        ("tidak kabar", 1.0),
        ("tidak bisa dihubungi", 1.0),
        ("terpisah|tersesat|nyasar", 1.5),
        ("culik|diculik|penculikan", 2.0),
        ("kabur|minggat rumah", 1.2),
        ("pikun|demensia|alzheimer|linglung", 1.0),
        ("dicari|mencari|pencarian|nyari", 0.6),
        ("ciri|memakai|pakai baju|kaos|celana|kemeja|jilbab|kerudung|topi", 0.5),
    ],
    "odgj": [
        ("odgj|gila|jiwa|skizofrenia|halusinasi|psikiater|pasung|dipasung|rsj", 2.0),
        ("stres|stress|depresi|kambuh", 1.0),
        ("ngamuk|mengamuk|amuk", 1.0),
        ("bicara|ngomong|tertawa sendiri", 1.2),
        ("telanjang|bugil", 1.5),
        ("obat kambuh|ngamuk|mengamuk|putus", 1.2),
        ("gelandangan|terlantar|telantar|pengemis", 0.5),
    ],
    "hewan_berbahaya": [
        ("ular|sanca|piton|kobra|welang|weling|tawon|lebah|vespa|tabuhan|penyengat|biawak|buaya|monyet|kera|beruk|harimau|beruang|kalajengking|lipan|kelabang|musang", 2.0),
        ("babi hutan", 2.0),
        ("anjing gila|liar|galak", 1.8),
        ("digigit|gigit|disengat|sengat|diserang|patuk|dipatuk|dicakar anjing|ular|tawon|lebah|monyet|hewan|binatang|kucing", 1.8),
        ("rabies", 1.5),
        ("sarang tawon|lebah|ular|vespa|tabuhan", 1.5),
        ("hewan|binatang liar|buas|berbisa", 1.5),
        ("kucing|anjing|kambing|sapi terjebak|terperosok|nyangkut|tersangkut|terjepit|masuk", 1.5),
    ],
    "penyelamatan_lain": [
        ("cincin|gelang|kunci nyangkut|tersangkut|lepas|terjepit|dilepas", 2.0),
        ("terjebak|kejebak|terkunci|kekunci|terkurung|terperangkap|terjepit|kejepit|tersangkut|nyangkut", 1.2),
        ("terjebak|terkunci|kekunci|terkurung lift|kamar|mobil|toilet|wc|kamar", 1.5),
        ("kunci ketinggalan|tertinggal", 0.8),
        ("jatuh|terjatuh|terperosok|tercebur|kecebur|masuk sumur|lubang|galian|jurang|got", 1.5),
        ("oli|solar|minyak|bensin|cairan tumpah|tercecer|berceceran", 2.0),
        ("jalan licin", 0.8),
        ("tidak bisa turun", 1.0),
        ("evakuasi|penyelamatan|rescue", 0.4),
    ],
    "lalu_lintas_infra": [
        ("lampu|traffic|apill merah|lalulintas|light mati|rusak|padam|menyala|error|kedip|berkedip", 2.0),
        ("semrawut|kacau|crowded", 0.6),
        ("lampu|pju|lpju|penerangan jalan mati|padam|rusak|gelap", 1.5),
        ("macet|kemacetan|tersendat|lumpuh", 1.0),
        ("padat merayap", 1.0),
        ("antrean|antrian|antre kendaraan|panjang", 0.8),
        ("jalan berlubang|rusak|bolong|bergelombang", 1.0),
        ("lubang|aspal bolong|rusak|besar|dalam", 1.0),
        ("mogok|melintang", 1.0),
        ("patah as", 1.0),
        ("ban pecah", 0.8),
        ("rambu|marka|pembatas roboh|rusak|hilang|tumbang", 1.2),
    ],
    "ketertiban_umum": [
        ("pkl|lapak|asongan", 1.8),
        ("pedagang liar|kaki", 1.8),
        ("parkir|jukir liar", 1.5),
        ("juru|tukang parkir", 1.2),
        ("pengamen|punk|gelandangan|pengemis|manusia|badut silver|jalanan", 1.0),
        ("pengamen|punk|gelandangan|pengemis", 1.0),
        ("bising|berisik|musik|sound|speaker|karaoke|orgen|organ|dangdut keras|kencang|malam|tunggal", 1.5),
        ("miras|tuak|arak|oplosan", 1.5),
        ("pesta|minum|mabuk miras|tuak|arak|alkohol|oplosan|bir", 2.0),
        ("minuman keras", 1.5),
        ("judi|perjudian|togel", 1.5),
        ("sabung ayam", 1.5),
        ("mesum|prostitusi|psk", 1.2),
        ("petasan|mercon", 1.0),
        ("ternak|sapi|kambing|kerbau lepas|berkeliaran", 1.2),
        ("bangunan|reklame|spanduk liar", 1.0),
        ("meresahkan|mengganggu|ganggu|resah|godain|menggoda", 0.5),
    ],
    "listrik": [
        (f"{_ELECTRICAL} putus|jatuh|menjuntai|terjuntai|kendur|menggantung|terbakar|percikan|percik|berasap|meledak|korslet|terkelupas|melintang|bakar|api|asap|ledak|gosong@6", 2.0),
        ("tiang roboh|miring|tumbang|patah|rubuh|ambruk|doyong|rebah", 2.0),
        ("trafo|travo|gardu|sutet", 1.0),
        ("kesetrum|tersetrum|setrum|nyetrum", 1.5),
        ("tersengat listrik", 1.5),
        ("listrik|lampu padam|mati|pemadaman|byarpet", 1.0),
        ("pln", 0.5),
    ],
    "air_pdam": [
        ("pdam|pipa|ledeng bocor|pecah|patah|jebol|putus|nyembur|menyembur|semburan|sembur|meluap|rembes", 2.0),
        ("air pdam|ledeng|bersih mati|mengalir|keruh|kotor|bau|macet|kecil", 1.5),
        ("pdam", 0.8),
    ],
    "penemuan_mayat": [
        ("mayat|jasad|jenazah|mayit|kerangka", 2.0),
        ("tulang belulang", 2.0),
        ("ditemukan|tergeletak|mengapung|terapung tewas|meninggal|mati|bernyawa|kaku", 1.5),
        ("bau busuk|bangkai|menyengat", 1.5),
        ("membusuk|mengapung|terapung", 1.2),
        ("badan|tubuh kaku|dingin|membiru", 1.2),
        ("tewas|meninggal", 0.6),
    ],
    "bunuh_diri": [
        ("bunuh diri", 2.5),
        ("bundir", 2.5),
        ("akhiri|mengakhiri|ngakhiri hidup|nyawa", 2.5),
        ("ingin|pengen|pingin mati|loncat|lompat|terjun|gantung", 1.8),
        ("=mau mati|loncat|lompat|terjun", 1.5),
        ("tidak kuat|ingin|mau hidup", 1.5),
        ("minum|menenggak|telan|tenggak =racun|baygon|pestisida|pembasmi", 2.0),
        ("obat|=racun nyamuk|serangga|tikus|rumput", 1.2),
        ("potong|iris|sayat|silet nadi|pergelangan", 2.0),
        ("naik|manjat|memanjat tower|menara|tiang|jembatan|baliho|atap", 1.0),
        ("ancam|mengancam loncat|lompat|terjun|bunuh", 1.5),
    ],
    "ancaman_bom_teror": [
        ("bom|granat|mortir|amunisi|mesiu|detonator|teror|teroris|terorisme|gegana|jibom|densus|=peledak", 2.0),
        ("tas|paket|koper|kardus|bungkusan|benda|barang|ransel mencurigakan|curiga|bertuan|misterius", 2.0),
        ("tas|paket|koper|kardus|ransel ditinggal|tertinggal|ditinggalkan", 1.2),
        ("mau|akan meledak", 1.0),
        ("sandera|penyanderaan", 1.0),
    ],
    "kecelakaan_laut": [
        (f"{_BOAT} tenggelam|terbalik|karam|kandas|bocor|mogok|terdampar|hantam|dihantam|pecah|hilang|terombang|hanyut@4", 2.2),
        (f"{_BOAT} mati mesin", 2.2),
        ("nelayan|abk|awak belum|tidak pulang|hilang|kembali", 2.0),
        ("terombang|ambing", 1.5),
        ("mati mesin laut|tengah", 1.5),
        ("ombak|gelombang tinggi|besar", 0.5),
        ("laut|mil", 0.4),
    ],
    "kecelakaan_kerja": [
        ("pekerja|buruh|kuli|tukang|karyawan|proyek jatuh|terjatuh|tertimpa|tertimbun|terjepit|kejepit|tersengat|kesetrum|terlindas|tergiling|tertarik@4", 2.2),
        ("perancah|scaffolding|galian|crane|ekskavator|molen|konstruksi|proyek", 0.8),
        ("alat berat", 0.8),
        ("jatuh|terjatuh ketinggian|perancah|tangga|gedung", 1.2),
        ("mesin giling|pabrik|produksi terjepit|tertarik|tergiling", 1.5),
    ],
}

CALL_TYPE_LEXICON: dict[str, list[tuple[str, float]]] = {
    "ghost": [
        ("blank|=blankcall|=miscall|=misscall|=missedcall", 2.0),
        ("blank|kosong|hening|sunyi call|panggilan|telepon", 1.0),
        ("tidak|tanpa =suara|=bersuara|kedengaran|terdengar|=bicara|=ngomong|=berbicara|=ngobrol", 2.5),
        ("tidak|tanpa =respon|=respons|=jawaban|=tanggapan|=menjawab|=jawab|=dijawab|=nyahut|=menyahut|=merespon", 2.5),
        ("hening|sunyi|senyap|diam|diem|kosong|bisu", 1.8),
        ("telepon|panggilan|sambungan|line|tlp putus|terputus|ditutup|dimatikan|terhenti|diputus", 2.0),
        ("langsung|tiba putus|terputus|ditutup|dimatikan|mati", 1.8),
        ("putus|terputus|ditutup|mati sendiri", 1.5),
        ("=terputus", 1.0),
        ("kepencet|terpencet|ketekan|kepencet|pencet", 2.5),
        ("kantong|saku|celana", 0.6),
        ("noise|kresek|krasak|gemerisik|kemresek|kemerosok|desis|dengung", 2.5),
        ("sinyal|jaringan putus|jelek|buruk|lemah|hilang|lemot", 1.2),
        ("suara|bunyi latar|angin|tv|televisi|kendaraan|musik|kain|gesekan", 0.8),
        ("callback|dihubungi|ditelepon|telepon balik|kembali|diangkat|aktif|tersambung", 1.0),
        ("nomor tidak aktif", 0.8),
        ("tanpa sim|kartu|pulsa", 2.0),
        ("salah sambung|pencet|tekan|nomor", 2.0),
        ("=halo", 0.6),
        ("cuma|hanya kedengaran|terdengar", 1.2),
        ("napas|nafas|dengus|desah", 0.4),
        ("ngoceh|celoteh|mainin|dimainin|dimainkan", 1.0),
    ],
    "prank": [
        ("iseng|isengin|keisengan|usil|jahil|jail|ngerjain|mengerjai|dikerjain|kerjain|prank|ngeprank", 3.0),
        ("bercanda|becanda|canda|candaan|guyon|guyonan|lelucon|melawak|ngelawak|ngelucu", 3.0),
        ("main|mainan =main", 2.0),
        ("bohong|berbohong|boong|palsu|hoaks|hoax|fiktif|ngibul|bualan", 2.5),
        ("pura =pura", 1.5),
        ("ketawa|tertawa|tawa|ngakak|cekikikan|terkekeh|haha|wkwk|hihi|hehe|ketawaan", 2.5),
        ("maki|memaki|makian|kasar|umpat|mengumpat|umpatan|caci|mencaci|hina|menghina|kotor|jorok|porno|sumpah", 1.5),
        ("nyanyi|bernyanyi|nyanyian|lagu|kentut|sendawa", 2.0),
        ("anak|bocah|bocil|remaja ketawa|iseng|main|nyanyi|teriak|bercanda|tertawa", 1.0),
        ("operator|petugas godain|goda|menggoda|rayu|merayu|gombal|gombalin|cantik|kenalan|pacar|cewek|cowok|sayang|ganteng", 2.5),
        ("gombal|gombalin|hatiku|cinta|kangen|rindu|jomblo|naksir|pacar|pacaran|kenalan|modus", 1.5),
        ("bosan|bosen|gabut|kesepian", 1.5),
        ("ngalor ngidul", 1.5),
        ("ngelantur|melantur|nyambung", 1.2),
        ("pulsa|kuota", 2.0),
        ("paket data", 2.0),
        ("nihil", 2.0),
        ("tidak kejadian", 2.0),
        ("tidak ada apa", 1.5),
        ("blokir|diblokir|berulang", 1.5),
        ("ngaku|mengaku polisi|tentara|pejabat|presiden|gubernur|walikota|menteri|anggota|petugas|polda|polres|artis", 2.0),
        ("pesan makanan|pizza|ojek|taksi|gojek|grab|makan", 0.8),
        ("ngotot|maksa|memaksa", 0.5),
    ],
    "information": [
        ("=nanya|=tanya|=bertanya|=menanyakan|=nanyain|=nanyakan|=tanyakan|=tanya-tanya", 3.0),
        ("informasi", 2.0),
        ("nomor telepon|wa|whatsapp|kontak|hp|pengaduan|ambulans|damkar|pln|pdam|kantor|call|darurat|telpon", 1.0),
        ("cara|caranya|prosedur|syarat|persyaratan|mekanisme|alur", 1.5),
        ("bagaimana|berapa|apakah|kapan|dimana|kenapa|mengapa", 0.8),
        ("jadwal", 1.5),
        ("jam buka|operasional|besuk|kerja|pelayanan|praktek|praktik", 1.5),
        ("ingin|mau tahu", 1.5),
        ("mastiin|memastikan|konfirmasi", 1.5),
        ("gratis|biaya|bayar|tarif", 0.8),
        ("urus|mengurus|ngurus|daftar|mendaftar|pendaftaran|rujukan|bpjs|ktp|stnk|sim|akta|surat|izin|kehilangan", 1.0),
        ("penyuluhan|sosialisasi|pelatihan|edukasi|simulasi", 1.5),
        ("apotek|apotik|terdekat|buka", 0.8),
        ("ditutup|pengalihan|alternatif|rute|jalur", 0.6),
        ("cuaca|prakiraan|bmkg|potensi|aman", 0.6),
        ("?", 1.0),
    ],
    "complaint": [
        ("komplain|keluhan|mengeluh|mengeluhkan|keluh|protes|kecewa|pengaduan|mengadu|aduan", 3.0),
        ("pelayanan|layanan|petugas|pegawai|staf|oknum lama|lambat|telat|terlambat|jutek|kasar|ramah|lalai|buruk|jelek|pungli|lelet", 2.5),
        ("jutek|judes|lelet|lambat|telat|terlambat|antri|antre|antrian|antrean", 1.0),
        ("pungli|pungutan|karcis|retribusi|kemahalan", 1.5),
        ("minta|narik|tarik|pungut uang|bayaran|duit|setoran", 1.5),
        ("narik|tarik|pungut|bayar|membayar #@1", 1.2),
        ("=berhari|=berminggu|=berbulan|=bertahun|=seminggu|=sebulan|=setahun|=berhari-hari|=bertahun-tahun", 1.5),
        ("sudah lama", 0.8),
        ("sudah # hari|minggu|bulan|tahun", 1.5),
        ("sejak|dari minggu|bulan|tahun lalu|kemarin", 1.2),
        ("# minggu|bulan", 0.8),
        ("sering|selalu|setiap|tiap|berulang", 0.7),
        ("tidak|belum diperbaiki|perbaikan|ditanggapi|ditindaklanjuti|diangkut|dibersihkan|diurus|digubris|direspon|dibenahi|ditertibkan|dapat|cair|diganti", 2.0),
        ("minta|mohon|tolong|harap diperbaiki|dibersihkan|diangkut|ditertibkan|dicek|ditindaklanjuti|disampaikan|dievaluasi|dibenahi|diperiksa|diganti", 2.0),
        ("sampah|tumpukan|lalat|bau|kotor|mampet|tersumbat", 0.8),
        ("lampu|pju jalan|mati|padam|rusak", 0.8),
        ("jalan|aspal rusak|berlubang|bolong", 0.8),
        ("air mati|mengalir|keruh", 0.8),
        ("bantuan|blt|bansos|pkh|bpjs|kis|sembako|subsidi", 1.5),
        ("listrik|lampu mati|padam|byarpet|pemadaman", 0.5),
        ("dinas|pemkot|pemda|pemerintah|dishub|dlh|pupr|kelurahan|pu", 0.3),
    ],
}

# Cues that a situation is urgent now, or of danger to people.
URGENCY_LEXICON: list[tuple[str, float]] = [
    ("tolong|darurat|gawat|segera|cepat|sekarang|barusan|panik|bahaya|berbahaya|membahayakan|terancam", 0.6),
    ("korban|luka|terluka|berdarah|kritis|meninggal|tewas|terjebak|pingsan", 0.8),
    ("evakuasi|mengungsi|ngungsi|menangis|nangis|teriak|menjerit|jerit", 0.5),
    ("minta|kirim|butuh ambulans|damkar|pemadam|polisi|petugas|bantuan|tim|unit|basarnas", 0.8),
    ("hampir|nyaris|takut", 0.4),
]

# Lexicon evidence of a hazard from which a note cannot be a ghost call (the
# ghost notes of the dev set stay below 1.4).
GHOST_MAX_EVIDENCE = 2.0
# How many incident types the suggestion offers to choose from.
CANDIDATES = 3
# Confidence ("an emergency of this type") from which the desk fills in the
# incident type by itself; below it the operator picks one of the candidates.
# Measured on the dev notes by `bench/triage_accuracy.py` (see docs/triage.md).
PREFILL_THRESHOLD = 0.3
# A second hazard in the same note (injured people at a collision) adds its
# lead agency when its own lexicon evidence reaches this score and this share
# of the main type's; at most SECONDARY_MAX such types.
SECONDARY_MIN_EVIDENCE = 0.7
SECONDARY_MIN_SHARE = 0.2
SECONDARY_MAX = 2

# Incident types whose evidence is often a consequence of another hazard
# (an injury after a collision, a blocked road after a fallen tree).
CONSEQUENCE_TYPES = frozenset({"darurat_medis", "penyelamatan_lain", "lalu_lintas_infra"})
CONSEQUENCE_DISCOUNT = 0.6
PRIORITY_FACTOR: dict[int, float] = {1: 1.12, 2: 1.0, 3: 0.9}
HEADLINE_BOOST = 0.5
CROSS_TYPE_DISCOUNT = 0.25
REPEAT_DISCOUNT = 0.3
LOCATIVE_PENALTY = 3
LOCATIVES = frozenset(
    {"di", "dekat", "belakang", "depan", "samping", "sebelah", "seberang", "sekitar", "pinggir", "arah", "ujung"}
)
# Priority-3 types (streetlights, water supply, street vendors) are often
# reported as complaints: their evidence argues less for an emergency call.
NON_URGENT_FACTOR = 0.75
HEADLINE_SPAN = 12.0

# Roots whose bare form means something other than their affixed forms
# ("balik" back / "terbalik" overturned, "kunci" key / "terkunci" locked).
AMBIGUOUS_ROOTS = frozenset(
    "balik darah pukul kunci bawa tutup buka kena ambil lihat jalan tinggal dapat pakai kirim minta "
    "lepas jadi kata tanya main masuk keluar ada pecah".split()
)


# ---------------------------------------------------------------------------
# Tokens and patterns
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    keys: frozenset[str]
    stem: str
    sentence: int
    negator: int
    locative: bool = False


@dataclass(frozen=True, slots=True)
class _Term:
    label: str
    slots: tuple[frozenset[str], ...]
    weight: float
    slack: int
    generic_fire: bool = False


@dataclass(frozen=True, slots=True)
class _Match:
    term: _Term
    positions: frozenset[int]
    negated: bool


def _word_keys(word: str) -> frozenset[str]:
    """Keys under which a lexicon word is indexed."""
    roots = {r for r in derived_roots(word) if len(r) >= 4 and r not in STOPWORDS and r not in COMMON_WORDS}
    return frozenset({"s:" + word, "r:" + word} | {"r:" + r for r in roots})


def _is_fire_word(word: str) -> bool:
    return word in FIRE_WORDS or bool(derived_roots(word) & FIRE_WORDS)


def _token_keys(word: str) -> frozenset[str]:
    """Keys a token carries: its surface, itself as a root unless ambiguous, and its roots."""
    keys = {"s:" + word} | {"r:" + r for r in derived_roots(word)}
    if word not in AMBIGUOUS_ROOTS:
        keys.add("r:" + word)
    return frozenset(keys)


def _basic_words(text: str) -> list[str]:
    words: list[str] = []
    for raw in text.lower().split():
        for word in _expand(raw):
            if word == "lintas" and words and words[-1] == "lalu":
                words[-1] = "lalulintas"
            else:
                words.append(word)
    return words


@lru_cache(maxsize=65536)
def _expand(word: str) -> tuple[str, ...]:
    """Normalise one lowercase word to zero or more words."""
    if any(ch.isdigit() for ch in word):
        match = _REDUP_DIGIT.match(word)
        if not match:
            return ("#",)
        word = match.group(1) + match.group(2)
    parts = word.split("-")
    if len(parts) == 2 and (parts[0] == parts[1] or parts[1].startswith(parts[0][:4]) or parts[0].endswith(parts[1])):
        parts = [parts[0]]
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        if any(ch.isdigit() for ch in part):
            out.append("#")
            continue
        part = re.sub(r"(.)\1{2,}", r"\1", part)
        for pattern, replacement in _LAUGH:
            if pattern.match(part):
                part = replacement
                break
        if part.endswith("nyo") and len(part) > 5:
            part = part[:-1] + "a"
        expanded = ABBREVIATIONS.get(part, part)
        out.extend(expanded.split())
    return tuple(out)


def _compile_pattern(label: str, pattern: str, weight: float, default_slack: int = 3) -> _Term | None:
    slack = default_slack
    if "@" in pattern:
        pattern, _, raw_slack = pattern.rpartition("@")
        slack = int(raw_slack)
    slots: list[frozenset[str]] = []
    words: set[str] = set()
    for raw_slot in pattern.split():
        keys: set[str] = set()
        for alternative in raw_slot.split("|"):
            exact = alternative.startswith("=")
            alternative = alternative.lstrip("=")
            if alternative == "?":
                keys.add("s:?")
                continue
            for word in _basic_words(alternative):
                words.add(word)
                keys |= {"s:" + word} if exact else _word_keys(word)
        if keys:
            slots.append(frozenset(keys))
    if not slots:
        return None
    generic_fire = label == "kebakaran_bangunan" and bool(words) and all(_is_fire_word(w) for w in words)
    return _Term(label=label, slots=tuple(slots), weight=weight, slack=slack, generic_fire=generic_fire)


def _taxonomy_terms(incident: Mapping[str, Any]) -> list[tuple[str, float]]:
    """Keywords of one incident type as patterns; place names weigh little."""
    terms: list[tuple[str, float]] = []
    for keyword in incident.get("keywords", []):
        words = keyword.split()
        is_place = len(words) > 1 and all(w[:1].isupper() and not w.isupper() for w in words)
        content = [w for w in _basic_words(keyword) if w not in STOPWORDS] or _basic_words(keyword)
        if is_place:
            weight = 0.3
        else:
            weight = 1.0 + 0.5 * (len(content) - 1)
        terms.append((" ".join(content), weight))
    return terms


class _Matcher:
    """Finds pattern occurrences in a token stream through a key index."""

    def __init__(self, terms: Sequence[_Term]) -> None:
        self.terms = list(terms)
        self.index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for term_id, term in enumerate(self.terms):
            for slot_id, keys in enumerate(term.slots):
                for key in keys:
                    self.index[key].append((term_id, slot_id))

    def keys(self) -> set[str]:
        return set(self.index)

    def find(self, tokens: Sequence[_Token]) -> list[_Match]:
        hits: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for position, token in enumerate(tokens):
            seen: set[tuple[int, int]] = set()
            for key in token.keys:
                for pair in self.index.get(key, ()):
                    if pair not in seen:
                        seen.add(pair)
                        hits[pair[0]][pair[1]].append(position)
        matches: list[_Match] = []
        for term_id, slot_hits in hits.items():
            term = self.terms[term_id]
            if len(slot_hits) < len(term.slots):
                continue
            matches.extend(self._occurrences(term, slot_hits, tokens))
        return matches

    @staticmethod
    def _occurrences(term: _Term, slot_hits: Mapping[int, list[int]], tokens: Sequence[_Token]) -> list[_Match]:
        if len(term.slots) == 1:
            return [_Match(term, frozenset({p}), _negated((p,), tokens)) for p in slot_hits[0]]
        span_limit = len(term.slots) - 1 + term.slack
        found: dict[frozenset[int], _Match] = {}
        order = sorted(range(len(term.slots)), key=lambda s: len(slot_hits[s]))
        anchor_slot = order[0]
        for anchor in slot_hits[anchor_slot]:
            chosen = [anchor]
            for slot in order[1:]:
                candidates = [
                    p for p in slot_hits[slot]
                    if p not in chosen and tokens[p].sentence == tokens[anchor].sentence
                ]
                if not candidates:
                    break
                chosen.append(min(candidates, key=lambda p: abs(p - anchor)))
            else:
                if max(chosen) - min(chosen) <= span_limit:
                    positions = frozenset(chosen)
                    found[positions] = _Match(term, positions, _negated(chosen, tokens))
        return list(found.values())


def _negated(positions: Iterable[int], tokens: Sequence[_Token]) -> bool:
    chosen = set(positions)
    return any(tokens[p].negator >= 0 and tokens[p].negator not in chosen for p in chosen)


# ---------------------------------------------------------------------------
# Learned model
# ---------------------------------------------------------------------------


class _NearestNotes:
    """Similarity-weighted nearest neighbours over TF-IDF word and character n-grams.

    With a handful of confirmed notes per class it stays quiet unless a note
    resembles one of them; with thousands it carries the local wording that
    the lexicon lacks.  Features found in more than `max_df` of the notes
    carry little signal and are left out of the index to keep look-ups fast.
    """

    def __init__(
        self,
        documents: Sequence[Sequence[str]],
        call_types: Sequence[str],
        incident_types: Sequence[str | None],
        max_df: float = 0.05,
        max_query_features: int = 60,
    ) -> None:
        self.call_types = list(call_types)
        self.incident_types = list(incident_types)
        self.max_query_features = max_query_features
        counted = [Counter(features) for features in documents]
        document_frequency: Counter[str] = Counter()
        for counts in counted:
            document_frequency.update(counts.keys())
        n = len(documents)
        ceiling = max(20, int(max_df * n))
        self.idf = {
            f: math.log((n + 1) / (df + 1)) + 1.0 for f, df in document_frequency.items() if df <= ceiling
        }
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, counts in enumerate(counted):
            for feature, weight in self._weights(counts).items():
                postings[feature].append((index, weight))
        # Tuples of numbers are untracked by the garbage collector, so a large
        # index does not lengthen collections during suggest().
        self.postings: dict[str, tuple[tuple[int, float], ...]] = {f: tuple(p) for f, p in postings.items()}

    def _weights(self, counts: Mapping[str, int]) -> dict[str, float]:
        """L2-normalised sublinear TF-IDF weights of the indexed features."""
        idf = self.idf
        vector = {f: (1.0 + math.log(c)) * idf[f] for f, c in counts.items() if f in idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {f: v / norm for f, v in vector.items()}

    def neighbours(self, features: Sequence[str], k: int, power: float) -> tuple[dict[str, float], dict[str, float]]:
        """Per call type and per incident type, the sum of similarity**power over the k nearest notes."""
        query = self._weights(Counter(features))
        strongest = heapq.nlargest(self.max_query_features, query.items(), key=lambda fv: fv[1])
        similarity: dict[int, float] = defaultdict(float)
        for feature, weight in strongest:
            for index, other in self.postings.get(feature, ()):
                similarity[index] += weight * other
        call_scores: dict[str, float] = defaultdict(float)
        for index, value in heapq.nlargest(k, similarity.items(), key=lambda iv: iv[1]):
            call_scores[self.call_types[index]] += min(value, 1.0) ** power
        incident_scores: dict[str, float] = defaultdict(float)
        labelled = ((i, v) for i, v in similarity.items() if self.incident_types[i] is not None)
        for index, value in heapq.nlargest(k, labelled, key=lambda iv: iv[1]):
            incident_scores[self.incident_types[index]] += min(value, 1.0) ** power  # type: ignore[index]
        return call_scores, incident_scores


# ---------------------------------------------------------------------------
# Suggester
# ---------------------------------------------------------------------------


@dataclass
class _Evidence:
    incident: dict[str, float] = field(default_factory=dict)
    strength: float = 0.0
    cues: dict[str, float] = field(default_factory=dict)
    neighbour_calls: dict[str, float] = field(default_factory=dict)
    neighbour_incidents: dict[str, float] = field(default_factory=dict)
    urgency: float = 0.0
    empty: bool = False
    content_free: bool = False


class Suggester:
    """Suggests call type, incident type and agencies for an operator's note."""

    # Weights of the call-type decision (in logit units).
    EMERGENCY_BIAS = 0.4
    EMERGENCY_SCALE = 1.5
    URGENCY_SCALE = 0.5
    CUE_SCALES: dict[str, float] = {"information": 1.6, "complaint": 1.8, "ghost": 2.0, "prank": 2.0}
    INCIDENT_SCALE = 1.6
    NEIGHBOURS = 10
    NEIGHBOUR_POWER = 2.0
    NEIGHBOUR_CALL_WEIGHT = 1.0
    NEIGHBOUR_INCIDENT_WEIGHT = 4.0
    EMPTY_NOTE_GHOST = 2.0
    CUE_DECAY = 0.7
    FUZZY_MIN_LENGTH = 5

    def __init__(
        self,
        taxonomy: Mapping[str, Any],
        examples: Iterable[Example] = (),
        routing: Mapping[str, tuple[str, Sequence[str]]] | None = None,
    ) -> None:
        self.incidents: dict[str, Mapping[str, Any]] = {i["code"]: i for i in taxonomy["incident_types"]}
        self.call_types: tuple[str, ...] = tuple(c["code"] for c in taxonomy.get("call_types", ())) or CALL_TYPES
        self.routing: dict[str, tuple[str, list[str]]] = {
            code: (incident["primary_agency"], list(incident.get("supporting_agencies", [])))
            for code, incident in self.incidents.items()
        }
        for code, (primary, supporting) in (routing or {}).items():
            self.routing[code] = (primary, list(supporting))
        self.priority: dict[str, int] = {code: int(i.get("priority", 2)) for code, i in self.incidents.items()}

        self._incident_matcher = _Matcher(self._incident_terms())
        self._cue_matcher = _Matcher(
            [t for label, entries in CALL_TYPE_LEXICON.items() for p, w in entries if (t := _compile_pattern(label, p, w))]
            + [t for p, w in URGENCY_LEXICON if (t := _compile_pattern("urgency", p, w))]
        )
        lexicon_keys = self._incident_matcher.keys() | self._cue_matcher.keys()
        self._lexicon_words = {k[2:] for k in lexicon_keys if k.startswith("s:")}
        self._known = COMMON_WORDS | self._lexicon_words | set(ABBREVIATIONS.values()) | STOPWORDS | NEGATORS
        self._fuzzy_index: dict[str, set[str]] = defaultdict(set)
        for word in self._lexicon_words:
            if len(word) >= self.FUZZY_MIN_LENGTH and word.isalpha():
                for variant in _deletions(word):
                    self._fuzzy_index[variant].add(word)
        self._lexicon_keys = lexicon_keys
        self._key_cache: dict[tuple[str, bool], frozenset[str]] = {}

        examples = list(examples)
        self.n_examples = len(examples)
        self._model: _NearestNotes | None = None
        rows = [
            (features, e.call_type, e.incident_type if e.call_type == "emergency" and e.incident_type in self.incidents else None)
            for e in examples
            if e.call_type in self.call_types and (features := self._features(self._tokens(e.text)))
        ]
        if rows:
            self._model = _NearestNotes([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    # -- construction helpers ------------------------------------------------

    def _incident_terms(self) -> list[_Term]:
        raw: list[tuple[str, str, float]] = []
        for code, incident in self.incidents.items():
            raw.extend((code, pattern, weight) for pattern, weight in _taxonomy_terms(incident))
            raw.extend((code, pattern, weight) for pattern, weight in EXTRA_INCIDENT_LEXICON.get(code, []))
        single_word_types: dict[str, set[str]] = defaultdict(set)
        for code, pattern, _ in raw:
            if " " not in pattern:
                for alternative in pattern.split("|"):
                    single_word_types[alternative].add(code)
        terms: list[_Term] = []
        for code, pattern, weight in raw:
            if " " not in pattern and "|" not in pattern:
                weight /= max(len(single_word_types[pattern]), 1)
            term = _compile_pattern(code, pattern, weight)
            if term is not None:
                terms.append(term)
        return terms

    # -- normalisation -------------------------------------------------------

    def _tokens(self, text: str) -> list[_Token]:
        """Normalised tokens with sentence ids, negation scopes and locative marks."""
        words: list[tuple[str, int, bool]] = []
        sentence = 0
        clause_breaks: set[int] = set()
        previous = ""
        at_sentence_start = True
        for match in _TOKEN_RE.finditer(text):
            raw = match.group(0)
            if raw == "?":
                words.append(("?", sentence, False))
            if raw == " - " or raw in _PUNCT_HARD:
                if raw == "." and previous in _DOT_ABBREVIATIONS:
                    continue
                sentence += 1
                clause_breaks.add(len(words))
                at_sentence_start = True
                continue
            if raw == "&":
                words.append(("dan", sentence, False))
                continue
            if raw == "/":
                continue
            if not raw[0].isalnum():
                clause_breaks.add(len(words))
                continue
            proper = raw[0].isupper() and not raw.isupper() and not at_sentence_start
            at_sentence_start = False
            previous = raw.lower()
            if previous == "pukul" and match.end() < len(text) and text[match.end():match.end() + 3].strip()[:1].isdigit():
                words.append(("jam", sentence, False))
                continue
            for word in _expand(previous):
                if words and words[-1][0] == word and word != "#":
                    continue
                if word == "lintas" and words and words[-1][0] == "lalu":
                    words[-1] = ("lalulintas", words[-1][1], False)
                    continue
                words.append((word, sentence, proper))
        tokens: list[_Token] = []
        active_negator = -1
        remaining = 0
        for position, (word, sentence_id, proper) in enumerate(words):
            if position in clause_breaks or word in SCOPE_BREAKERS:
                active_negator, remaining = -1, 0
            negator = -1
            if remaining > 0 and word not in STOPWORDS:
                negator = active_negator
                remaining -= 1
            elif remaining > 0:
                negator = active_negator
            if word in NEGATORS:
                active_negator, remaining = position, NEGATION_SCOPE
            elif word in HYPOTHETICALS:
                active_negator, remaining = position, HYPOTHETICAL_SCOPE
            locative = position > 0 and words[position - 1][0] in LOCATIVES
            tokens.append(_Token(word, self._keys(word, proper), _stem(word), sentence_id, negator, locative))
        return tokens

    def _keys(self, word: str, proper: bool) -> frozenset[str]:
        cached = self._key_cache.get((word, proper))
        if cached is not None:
            return cached
        keys = _token_keys(word)
        if (
            not proper
            and len(word) >= self.FUZZY_MIN_LENGTH
            and word not in self._known
            and word.isalpha()
            and not (keys & self._lexicon_keys)
        ):
            target = self._fuzzy_target(word)
            if target is not None:
                keys = keys | {k for k in _word_keys(target) if k.startswith("r:")}
        if len(self._key_cache) < 200_000:
            self._key_cache[(word, proper)] = keys
        return keys

    def _fuzzy_target(self, word: str) -> str | None:
        candidates: set[str] = set()
        for variant in _deletions(word):
            candidates |= self._fuzzy_index.get(variant, set())
        candidates = {c for c in candidates if c[0] == word[0] and _plausible_typo(word, c)}
        if not candidates:
            return None
        return min(candidates, key=lambda c: (-_common_prefix(word, c), c))


    @staticmethod
    def _features(tokens: Sequence[_Token]) -> list[str]:
        """Stems (marked when negated), stem bigrams and character 4-grams of the content words."""
        features: list[str] = []
        content = [t for t in tokens if t.text not in STOPWORDS and t.text != "#"]
        for i, token in enumerate(content):
            mark = "!" if token.negator >= 0 else ""
            features.append(f"w:{mark}{token.stem}")
            if i + 1 < len(content) and content[i + 1].sentence == token.sentence:
                features.append(f"b:{token.stem}_{content[i + 1].stem}")
            padded = f"<{token.text}>"
            if len(token.text) >= 3:
                features.extend(f"c:{padded[j:j + 4]}" for j in range(len(padded) - 3))
        return features

    # -- scoring -------------------------------------------------------------

    def _evidence(self, tokens: Sequence[_Token]) -> _Evidence:
        evidence = _Evidence(
            empty=not any(t.text not in STOPWORDS for t in tokens), content_free=_content_free(tokens)
        )
        evidence.incident, evidence.strength = self._incident_scores(self._incident_matcher.find(tokens), tokens)
        cue_totals: dict[str, float] = defaultdict(float)
        best: dict[tuple[str, frozenset[int]], float] = {}
        for match in self._cue_matcher.find(tokens):
            if match.negated:
                continue
            key = (match.term.label, match.positions)
            best[key] = max(best.get(key, 0.0), match.term.weight)
        per_label_terms: dict[str, list[float]] = defaultdict(list)
        for (label, _), weight in best.items():
            per_label_terms[label].append(weight)
        for label, weights in per_label_terms.items():
            weights.sort(reverse=True)
            cue_totals[label] = sum(w * self.CUE_DECAY**i for i, w in enumerate(weights))
        evidence.urgency = cue_totals.pop("urgency", 0.0)
        content = [t.text for t in tokens if t.text not in STOPWORDS]
        if content and (content[0] in QUESTION_WORDS or content[-1] == "?"):
            cue_totals["information"] += QUESTION_LEAD
        evidence.cues = dict(cue_totals)
        if self._model is not None:
            evidence.neighbour_calls, evidence.neighbour_incidents = self._model.neighbours(
                self._features(tokens), self.NEIGHBOURS, self.NEIGHBOUR_POWER
            )
        if evidence.content_free:
            # Resemblance to a confirmed note through "tolong" and "cepat" alone is no evidence of a hazard.
            evidence.incident, evidence.strength, evidence.neighbour_incidents = {}, 0.0, {}
        return evidence

    def _incident_scores(self, matches: Sequence[_Match], tokens: Sequence[_Token]) -> tuple[dict[str, float], float]:
        """Per-type scores for ranking (with the headline prior) and the plain evidence strength."""
        by_positions: dict[tuple[str, frozenset[int]], _Match] = {}
        for match in matches:
            if match.negated:
                continue
            key = (match.term.label, match.positions)
            if key not in by_positions or match.term.weight > by_positions[key].term.weight:
                by_positions[key] = match
        kept = list(by_positions.values())
        weighted: list[tuple[_Match, float]] = []
        claimed: dict[str, set[int]] = defaultdict(set)
        seen_terms: set[int] = set()
        for match in sorted(kept, key=lambda m: (-m.term.weight, _span(m, tokens))):
            weight = match.term.weight
            if any(_outcompeted(match, other, tokens) for other in kept if other.term.label != match.term.label):
                weight *= CROSS_TYPE_DISCOUNT
            if match.positions & claimed[match.term.label] or id(match.term) in seen_terms:
                weight *= REPEAT_DISCOUNT
            claimed[match.term.label] |= match.positions
            seen_terms.add(id(match.term))
            weighted.append((match, weight))
        ranking = self._aggregate(weighted, headline=True)
        plain = self._aggregate(weighted, headline=False)
        strength = max(
            (v * NON_URGENT_FACTOR if self.priority.get(c, 2) >= 3 else v for c, v in plain.items()), default=0.0
        )
        return ranking, strength

    def _aggregate(self, weighted: Sequence[tuple[_Match, float]], headline: bool) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        generic_fire = 0.0
        for match, weight in weighted:
            if headline:
                weight *= _headline_factor(min(match.positions))
            if match.term.generic_fire:
                generic_fire += weight
            else:
                scores[match.term.label] += weight
        if generic_fire:
            for code in FIRE_TYPES & set(self.incidents):
                if code == "kebakaran_bangunan" or scores.get(code, 0.0) > 0:
                    scores[code] += generic_fire
        primary = max((v for c, v in scores.items() if c not in CONSEQUENCE_TYPES), default=0.0)
        adjusted: dict[str, float] = {}
        for code, score in scores.items():
            if code in CONSEQUENCE_TYPES and primary >= 1.0:
                score *= CONSEQUENCE_DISCOUNT
            adjusted[code] = score * PRIORITY_FACTOR.get(self.priority.get(code, 2), 1.0)
        return adjusted

    def _call_logits(self, evidence: _Evidence) -> dict[str, float]:
        strength = evidence.strength
        logits = {c: 0.0 for c in self.call_types}
        if "emergency" in logits:
            logits["emergency"] = (
                self.EMERGENCY_BIAS
                + self.EMERGENCY_SCALE * math.log1p(strength)
                + self.URGENCY_SCALE * math.log1p(evidence.urgency)
            )
        for call_type in NON_EMERGENCY:
            if call_type in logits:
                scale = self.CUE_SCALES.get(call_type, 1.6)
                logits[call_type] = scale * math.log1p(evidence.cues.get(call_type, 0.0))
        if evidence.empty and "ghost" in logits:
            logits["ghost"] += self.EMPTY_NOTE_GHOST
        if strength >= GHOST_MAX_EVIDENCE and "ghost" in logits:
            # A note that tells of a hazard in this much detail was not a silent line: "ga bisa
            # ngomong" is then a symptom, not a caller who said nothing. Dismissing an emergency
            # as a ghost call costs far more than the reverse.
            logits["ghost"] = -math.inf
        for label, value in evidence.neighbour_calls.items():
            if label in logits:
                logits[label] += self.NEIGHBOUR_CALL_WEIGHT * value
        return logits

    def _incident_logits(self, evidence: _Evidence) -> dict[str, float]:
        logits = {code: self.INCIDENT_SCALE * math.log1p(score) for code, score in evidence.incident.items()}
        for code, value in evidence.neighbour_incidents.items():
            logits[code] = logits.get(code, 0.0) + self.NEIGHBOUR_INCIDENT_WEIGHT * value
        return logits

    # -- public API ----------------------------------------------------------

    def suggest(self, text: str) -> Suggestion:
        tokens = self._tokens(text or "")
        evidence = self._evidence(tokens)
        call_probs = _softmax(self._call_logits(evidence))
        call_type = max(call_probs, key=lambda c: (call_probs[c], c == "emergency"))
        incident_logits = self._incident_logits(evidence)
        incident_probs = _softmax(incident_logits) if incident_logits else {}
        p_emergency = call_probs.get("emergency", 0.0)
        ranked = sorted(incident_probs, key=lambda c: (-incident_probs[c], self.priority.get(c, 2), c))
        candidates = tuple((code, round(p_emergency * incident_probs[code], 3)) for code in ranked[:CANDIDATES])
        if call_type != "emergency":
            return Suggestion(call_type, None, None, [], round(call_probs[call_type], 3), candidates)
        if not incident_logits:
            # Nothing points at any incident type: an emergency is only the likeliest guess.
            return Suggestion("emergency", None, None, [], round(p_emergency * 0.5, 3))
        incident = ranked[0]
        also = self._also_reported(incident, evidence)
        primary, supporting = self.routing.get(incident, (None, []))
        agencies = ([primary] if primary else [])
        for code in also:
            # The agency that leads on the other hazard comes right after the main one.
            other = self.routing.get(code, (None, []))[0]
            if other and other not in agencies:
                agencies.append(other)
        agencies += [a for a in supporting if a not in agencies]
        confidence = p_emergency * incident_probs[incident]
        return Suggestion(
            "emergency", incident, primary, agencies, round(confidence, 3), candidates, (incident, *also)
        )

    def _also_reported(self, incident: str, evidence: _Evidence) -> tuple[str, ...]:
        """Other incident types the note itself reports (people hurt in a collision), strongest first.

        Only lexicon evidence counts, and only when it stands on its own
        (`SECONDARY_MIN_EVIDENCE`); a type that merely shares the main one's
        words (the fire types) adds nothing new.
        """
        main = evidence.incident.get(incident, 0.0)
        others = [
            (score, code)
            for code, score in evidence.incident.items()
            if code != incident
            and score >= SECONDARY_MIN_EVIDENCE
            and score >= SECONDARY_MIN_SHARE * main
            and not (code in FIRE_TYPES and incident in FIRE_TYPES)
        ]
        return tuple(code for _, code in sorted(others, reverse=True)[:SECONDARY_MAX])

    def explain(self, text: str) -> dict[str, Any]:
        """Scores behind a suggestion, for debugging and tuning the lexicon."""
        tokens = self._tokens(text or "")
        evidence = self._evidence(tokens)
        return {
            "tokens": [(t.text, t.negator >= 0) for t in tokens],
            "incident": dict(sorted(evidence.incident.items(), key=lambda kv: -kv[1])),
            "cues": evidence.cues,
            "urgency": evidence.urgency,
            "neighbours": (dict(evidence.neighbour_calls), dict(evidence.neighbour_incidents)),
            "call_logits": self._call_logits(evidence),
        }


def _content_free(tokens: Sequence[_Token]) -> bool:
    """True when the note has words but none of them says what happened."""
    words = [t.text for t in tokens if t.text not in STOPWORDS and t.text not in ("?",)]
    return bool(words) and all(_is_content_free_word(w) for w in words)


@lru_cache(maxsize=8192)
def _is_content_free_word(word: str) -> bool:
    if word == "#" or word in CONTENT_FREE_WORDS:
        return True
    roots = derived_roots(word)
    if roots & CONTENT_FREE_WORDS:
        return True
    return len(word) >= 5 and any(_plausible_typo(word, w) for w in CONTENT_FREE_WORDS if len(w) >= 5)


def _span(match: _Match, tokens: Sequence[_Token]) -> int:
    """Width of a match; a word introduced by a locative ("di belakang perumahan") names
    a place rather than the thing affected, so it binds more loosely."""
    width = max(match.positions) - min(match.positions)
    if any(tokens[p].locative for p in match.positions):
        width += LOCATIVE_PENALTY
    return width


def _outcompeted(match: _Match, other: _Match, tokens: Sequence[_Token]) -> bool:
    """Another type's phrase covers this match, or shares a token with it more tightly."""
    if match.positions < other.positions:
        return True
    if len(match.positions) < 2 or len(other.positions) < 2 or not (match.positions & other.positions):
        return False
    return _span(other, tokens) < _span(match, tokens)


def _headline_factor(position: int) -> float:
    """Operators write the main hazard first; evidence near the start weighs more."""
    return 1.0 + HEADLINE_BOOST * max(0.0, 1.0 - position / HEADLINE_SPAN)


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _softmax(logits: Mapping[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exps = {k: math.exp(v - top) for k, v in logits.items()}
    total = sum(exps.values())
    return {k: v / total for k, v in exps.items()}


def default_suggester() -> Suggester:
    """The suggester with the deployed taxonomy, admin routing and confirmed examples."""
    import json

    from django.conf import settings

    from agencies.selectors import routing_table
    from calls.selectors import confirmed_triage_examples

    taxonomy = json.loads((settings.DOMAIN_DATA_DIR / "taxonomy.json").read_text(encoding="utf-8"))
    return Suggester(taxonomy, examples=confirmed_triage_examples(), routing=routing_table())
