/*
 * currency.c: the ISO 4217 table (see currency.h for what it holds).
 * Keep the rows sorted by code: lookups are a binary search, and the unit
 * tests check the order.
 */
#include "currency.h"

#include <string.h>

static const struct sgp_currency table[] = {
	{ "AED", 2, true, "UAE Dirham" },
	{ "AFN", 2, true, "Afghani" },
	{ "ALL", 2, true, "Lek" },
	{ "AMD", 2, true, "Armenian Dram" },
	{ "ANG", 2, false, "Netherlands Antillean Guilder" },
	{ "AOA", 2, true, "Kwanza" },
	{ "ARS", 2, true, "Argentine Peso" },
	{ "AUD", 2, true, "Australian Dollar" },
	{ "AWG", 2, true, "Aruban Florin" },
	{ "AZN", 2, true, "Azerbaijan Manat" },
	{ "BAM", 2, true, "Convertible Mark" },
	{ "BBD", 2, true, "Barbados Dollar" },
	{ "BDT", 2, true, "Taka" },
	{ "BGN", 2, false, "Bulgarian Lev" },
	{ "BHD", 3, true, "Bahraini Dinar" },
	{ "BIF", 0, true, "Burundi Franc" },
	{ "BMD", 2, true, "Bermudian Dollar" },
	{ "BND", 2, true, "Brunei Dollar" },
	{ "BOB", 2, true, "Boliviano" },
	{ "BOV", 2, true, "Mvdol" },
	{ "BRL", 2, true, "Brazilian Real" },
	{ "BSD", 2, true, "Bahamian Dollar" },
	{ "BTN", 2, true, "Ngultrum" },
	{ "BWP", 2, true, "Pula" },
	{ "BYN", 2, true, "Belarusian Ruble" },
	{ "BYR", 0, false, "Belarusian Ruble" },
	{ "BZD", 2, true, "Belize Dollar" },
	{ "CAD", 2, true, "Canadian Dollar" },
	{ "CDF", 2, true, "Congolese Franc" },
	{ "CHE", 2, true, "WIR Euro" },
	{ "CHF", 2, true, "Swiss Franc" },
	{ "CHW", 2, true, "WIR Franc" },
	{ "CLF", 4, true, "Unidad de Fomento" },
	{ "CLP", 0, true, "Chilean Peso" },
	{ "CNY", 2, true, "Yuan Renminbi" },
	{ "COP", 2, true, "Colombian Peso" },
	{ "COU", 2, true, "Unidad de Valor Real" },
	{ "CRC", 2, true, "Costa Rican Colon" },
	{ "CUC", 2, false, "Peso Convertible" },
	{ "CUP", 2, true, "Cuban Peso" },
	{ "CVE", 2, true, "Cabo Verde Escudo" },
	{ "CZK", 2, true, "Czech Koruna" },
	{ "DJF", 0, true, "Djibouti Franc" },
	{ "DKK", 2, true, "Danish Krone" },
	{ "DOP", 2, true, "Dominican Peso" },
	{ "DZD", 2, true, "Algerian Dinar" },
	{ "EGP", 2, true, "Egyptian Pound" },
	{ "ERN", 2, true, "Nakfa" },
	{ "ETB", 2, true, "Ethiopian Birr" },
	{ "EUR", 2, true, "Euro" },
	{ "FJD", 2, true, "Fiji Dollar" },
	{ "FKP", 2, true, "Falkland Islands Pound" },
	{ "GBP", 2, true, "Pound Sterling" },
	{ "GEL", 2, true, "Lari" },
	{ "GHS", 2, true, "Ghana Cedi" },
	{ "GIP", 2, true, "Gibraltar Pound" },
	{ "GMD", 2, true, "Dalasi" },
	{ "GNF", 0, true, "Guinean Franc" },
	{ "GTQ", 2, true, "Quetzal" },
	{ "GYD", 2, true, "Guyana Dollar" },
	{ "HKD", 2, true, "Hong Kong Dollar" },
	{ "HNL", 2, true, "Lempira" },
	{ "HRK", 2, false, "Kuna" },
	{ "HTG", 2, true, "Gourde" },
	{ "HUF", 2, true, "Forint" },
	{ "IDR", 2, true, "Rupiah" },
	{ "ILS", 2, true, "New Israeli Sheqel" },
	{ "INR", 2, true, "Indian Rupee" },
	{ "IQD", 3, true, "Iraqi Dinar" },
	{ "IRR", 2, true, "Iranian Rial" },
	{ "ISK", 0, true, "Iceland Krona" },
	{ "JMD", 2, true, "Jamaican Dollar" },
	{ "JOD", 3, true, "Jordanian Dinar" },
	{ "JPY", 0, true, "Yen" },
	{ "KES", 2, true, "Kenyan Shilling" },
	{ "KGS", 2, true, "Som" },
	{ "KHR", 2, true, "Riel" },
	{ "KMF", 0, true, "Comorian Franc" },
	{ "KPW", 2, true, "North Korean Won" },
	{ "KRW", 0, true, "Won" },
	{ "KWD", 3, true, "Kuwaiti Dinar" },
	{ "KYD", 2, true, "Cayman Islands Dollar" },
	{ "KZT", 2, true, "Tenge" },
	{ "LAK", 2, true, "Lao Kip" },
	{ "LBP", 2, true, "Lebanese Pound" },
	{ "LKR", 2, true, "Sri Lanka Rupee" },
	{ "LRD", 2, true, "Liberian Dollar" },
	{ "LSL", 2, true, "Loti" },
	{ "LTL", 2, false, "Lithuanian Litas" },
	{ "LVL", 2, false, "Latvian Lats" },
	{ "LYD", 3, true, "Libyan Dinar" },
	{ "MAD", 2, true, "Moroccan Dirham" },
	{ "MDL", 2, true, "Moldovan Leu" },
	{ "MGA", 2, true, "Malagasy Ariary" },
	{ "MKD", 2, true, "Denar" },
	{ "MMK", 2, true, "Kyat" },
	{ "MNT", 2, true, "Tugrik" },
	{ "MOP", 2, true, "Pataca" },
	{ "MRO", 2, false, "Ouguiya" },
	{ "MRU", 2, true, "Ouguiya" },
	{ "MUR", 2, true, "Mauritius Rupee" },
	{ "MVR", 2, true, "Rufiyaa" },
	{ "MWK", 2, true, "Malawi Kwacha" },
	{ "MXN", 2, true, "Mexican Peso" },
	{ "MXV", 2, true, "Mexican Unidad de Inversion (UDI)" },
	{ "MYR", 2, true, "Malaysian Ringgit" },
	{ "MZN", 2, true, "Mozambique Metical" },
	{ "NAD", 2, true, "Namibia Dollar" },
	{ "NGN", 2, true, "Naira" },
	{ "NIO", 2, true, "Cordoba Oro" },
	{ "NOK", 2, true, "Norwegian Krone" },
	{ "NPR", 2, true, "Nepalese Rupee" },
	{ "NZD", 2, true, "New Zealand Dollar" },
	{ "OMR", 3, true, "Rial Omani" },
	{ "PAB", 2, true, "Balboa" },
	{ "PEN", 2, true, "Sol" },
	{ "PGK", 2, true, "Kina" },
	{ "PHP", 2, true, "Philippine Peso" },
	{ "PKR", 2, true, "Pakistan Rupee" },
	{ "PLN", 2, true, "Zloty" },
	{ "PYG", 0, true, "Guarani" },
	{ "QAR", 2, true, "Qatari Rial" },
	{ "RON", 2, true, "Romanian Leu" },
	{ "RSD", 2, true, "Serbian Dinar" },
	{ "RUB", 2, true, "Russian Ruble" },
	{ "RWF", 0, true, "Rwanda Franc" },
	{ "SAR", 2, true, "Saudi Riyal" },
	{ "SBD", 2, true, "Solomon Islands Dollar" },
	{ "SCR", 2, true, "Seychelles Rupee" },
	{ "SDG", 2, true, "Sudanese Pound" },
	{ "SEK", 2, true, "Swedish Krona" },
	{ "SGD", 2, true, "Singapore Dollar" },
	{ "SHP", 2, true, "Saint Helena Pound" },
	{ "SLE", 2, true, "Leone" },
	{ "SLL", 2, false, "Leone" },
	{ "SOS", 2, true, "Somali Shilling" },
	{ "SRD", 2, true, "Surinam Dollar" },
	{ "SSP", 2, true, "South Sudanese Pound" },
	{ "STD", 2, false, "Dobra" },
	{ "STN", 2, true, "Dobra" },
	{ "SVC", 2, true, "El Salvador Colon" },
	{ "SYP", 2, true, "Syrian Pound" },
	{ "SZL", 2, true, "Lilangeni" },
	{ "THB", 2, true, "Baht" },
	{ "TJS", 2, true, "Somoni" },
	{ "TMT", 2, true, "Turkmenistan New Manat" },
	{ "TND", 3, true, "Tunisian Dinar" },
	{ "TOP", 2, true, "Pa’anga" },
	{ "TRY", 2, true, "Turkish Lira" },
	{ "TTD", 2, true, "Trinidad and Tobago Dollar" },
	{ "TWD", 2, true, "New Taiwan Dollar" },
	{ "TZS", 2, true, "Tanzanian Shilling" },
	{ "UAH", 2, true, "Hryvnia" },
	{ "UGX", 0, true, "Uganda Shilling" },
	{ "USD", 2, true, "US Dollar" },
	{ "USN", 2, true, "US Dollar (Next day)" },
	{ "UYI", 0, true, "Uruguay Peso en Unidades Indexadas (UI)" },
	{ "UYU", 2, true, "Peso Uruguayo" },
	{ "UYW", 4, true, "Unidad Previsional" },
	{ "UZS", 2, true, "Uzbekistan Sum" },
	{ "VED", 2, true, "Bolívar Soberano" },
	{ "VEF", 2, false, "Bolivar" },
	{ "VES", 2, true, "Bolívar Soberano" },
	{ "VND", 0, true, "Dong" },
	{ "VUV", 0, true, "Vatu" },
	{ "WST", 2, true, "Tala" },
	{ "XAD", 2, true, "Arab Accounting Dinar" },
	{ "XAF", 0, true, "CFA Franc BEAC" },
	{ "XAG", -1, true, "Silver" },
	{ "XAU", -1, true, "Gold" },
	{ "XBA", -1, true, "Bond Markets Unit European Composite Unit (EURCO)" },
	{ "XBB", -1, true, "Bond Markets Unit European Monetary Unit (E.M.U.-6)" },
	{ "XBC", -1, true, "Bond Markets Unit European Unit of Account 9 (E.U.A.-9)" },
	{ "XBD", -1, true, "Bond Markets Unit European Unit of Account 17 (E.U.A.-17)" },
	{ "XCD", 2, true, "East Caribbean Dollar" },
	{ "XCG", 2, true, "Caribbean Guilder" },
	{ "XDR", -1, true, "SDR (Special Drawing Right)" },
	{ "XOF", 0, true, "CFA Franc BCEAO" },
	{ "XPD", -1, true, "Palladium" },
	{ "XPF", 0, true, "CFP Franc" },
	{ "XPT", -1, true, "Platinum" },
	{ "XSU", -1, true, "Sucre" },
	{ "XTS", -1, true, "Codes specifically reserved for testing purposes" },
	{ "XUA", -1, true, "ADB Unit of Account" },
	{ "XXX", -1, true, "The codes assigned for transactions where no currency is involved" },
	{ "YER", 2, true, "Yemeni Rial" },
	{ "ZAR", 2, true, "Rand" },
	{ "ZMW", 2, true, "Zambian Kwacha" },
	{ "ZWG", 2, true, "Zimbabwe Gold" },
	{ "ZWL", 2, false, "Zimbabwe Dollar" },
};

#define NCUR (sizeof table / sizeof table[0])

static bool is_code(const char *s, size_t n)
{
	return n == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	       s[2] >= 'A' && s[2] <= 'Z';
}

const struct sgp_currency *sgp_currency_lookup_n(const char *s, size_t n)
{
	size_t lo = 0, hi = NCUR;

	if (s == NULL || !is_code(s, n))
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(s, table[mid].code, 3);

		if (c == 0)
			return &table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct sgp_currency *sgp_currency_lookup(const char *code)
{
	return code ? sgp_currency_lookup_n(code, strlen(code)) : NULL;
}

int sgp_currency_exponent(const char *code)
{
	const struct sgp_currency *c = sgp_currency_lookup(code);

	return c ? c->exponent : -1;
}

bool sgp_currency_valid(const char *code)
{
	return sgp_currency_lookup(code) != NULL;
}

size_t sgp_currency_count(void)
{
	return NCUR;
}

const struct sgp_currency *sgp_currency_at(size_t i)
{
	return i < NCUR ? &table[i] : NULL;
}
