/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * scep-gen OUTDIR: writes the pkiMessage fixtures of the test suite into
 * OUTDIR, and OUTDIR/messages.json, the manifest of what a correct decoder
 * must report for each of them.
 *
 *   cc -Wall -Werror -O2 -o build/scep-gen t/tools/scep_gen.c -lcrypto
 *   build/scep-gen t/data
 *
 * The output is reproducible: the keys are fixed (below), the validity
 * dates, serials, nonces and signing time are constants, and every random
 * byte OpenSSL asks for (content-encryption keys, IVs, PKCS#1 v1.5
 * encryption padding, ECDSA nonces) comes from a stream derived from a
 * fixed seed and the name of the file being made.
 *
 * The manifest is not written from what the generator meant to produce:
 * each file is read back with OpenSSL's own CMS parser and described from
 * what it actually holds; the generator fails when that differs from what
 * it intended.  The same description is made of the captures of the real
 * micromdm scepclient/scepserver (t/lib/capture-scepclient) found in OUTDIR.
 */


/*
 * RAND_set_rand_method() is deprecated in OpenSSL 3.0, but it is the only
 * way 3.0 offers to make all of libcrypto's randomness, including that of
 * the providers, come from the caller: exactly what reproducible fixtures
 * need.
 */
#define OPENSSL_SUPPRESS_DEPRECATED  1

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>


/* SCEP signed attributes (RFC 8894, section 3.2.1) */

#define OID_MESSAGE_TYPE     "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS       "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO        "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE     "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE  "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID   "2.16.840.1.113733.1.9.7"

#define NONCE_LEN            16
#define SIGNING_TIME         "260115100000Z"
#define NOT_BEFORE           "20260101000000Z"
#define NOT_AFTER            "20491231235959Z"
#define CHALLENGE            "secret"

/* the segment size of the constructed OCTET STRING in the iOS-like BER */
#define BER_SEGMENT          1000

/*
 * Intune's SCEP challenge is a long signed blob, not a password: that
 * and a 4096-bit key make the ~6.5 KB iOS messages.  Here, the base64 of
 * that many seeded bytes.
 */
#define IOS_CHALLENGE_LEN    1200

#define DEEP_LEVELS          10000
#define MAX_ENTRIES          96


/*
 * The fixed keys.  Made once with
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 (4096)
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
 * They protect nothing: they are test data, like the files made with them.
 */

/* the device key: the requests' CSR and self-signed signer certificate */
static const char  signer_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDSYM4PUN28pe5U\n"
    "D4p1wmMOinsdgCafBCf0M251qKBLd9WH8wBMABOWe4RiCeSjEaSr7YKKioUB3WMI\n"
    "OlnXbRyPNk5YnHt02/p/dOTAuXGJYLCMBGb45CBzayGbI3b5sSVT5H6/ySzytD3I\n"
    "p3Ro8F3vJpz+yjOXLSsVIjKRKufEeMRz0pIg5avEgAqF2RqgMs6h/2rXXo41KGnJ\n"
    "iDm/8jkYa5AtB82mbkA7Gurc9YTpu9DM73N8bN0mLL/mac32XErKQpt+U/SW4hIX\n"
    "3/UGHzlIlD+nDbgEhrz/vmPu7GUrrocdbKUHIcINGCYuinhbq6wbXA1ZUSkQ5ueh\n"
    "YHIyVEE7AgMBAAECggEAOyRryXJ6Y6ZiMc+MpT5YiqXzpn94XAvXD5fF3d3h8lVl\n"
    "+ioeUz9SQmPG+6i8VfuHx62lnT0D11pdlNqSlzVdagViURbsvhV5fotmI6f+exhr\n"
    "iXFTYXUAinH7qJl3wQpD7Cm4WEI+GJ0DIX2yBC5OugSo7hf6GO3hxrcucBEXxuuK\n"
    "Eyh1tOzrSWMzSdwljgrGtoK7QQY1JuswKhYOQHjld+YhgXRnHQYxqEk6/WrGJ/g2\n"
    "Nfjx++DyXqOw/hQe3GroUNSkG9by5kx+Lfmsqy3m4g60KHCcwe5Ia4Vfi4Oz3EFl\n"
    "jfaJmjD3W0OqPpJbB7QPosYSGoTXzhp3EfQ7wI5uwQKBgQDohjejn/WtdGmKBnBz\n"
    "I8xiLQpF4AgZ1btsPb0iZUAZHxzPYn9co0yljiHmxHQPnphUkFsMwWAXHuXCf0iJ\n"
    "WkQ0vA0BfT1Yy5St6N/m3zL1uYTN5G5RvD2eOfrX9VqFFtsYe8mYPpuzIXdMeTzc\n"
    "zDbLSXVVg87wZZkEo/PjNBswPQKBgQDnnjPDhXVhtnyXqOEMRu2HAY3aU3fwWvmC\n"
    "MnIotzE1aqPhszf0RYfjngmIgVwrjoYb4v853c1TbcsNYpzO/uPi+z5QhW/GoPWD\n"
    "YpSHBqamRNbjmW1qsYLj8bPUqSgPb5HvI/hQsQiJsVa94yXmyWIZ+NbBKcg4Lv8d\n"
    "LRDF1teW1wKBgCieCWoTrx61jxoFNe9m+XTM2VaLY97fbvXhcwBnH2NEBAxV8FmG\n"
    "TQU+Zr2g44U29vUOolkADoD7bLck9M7JbdCoaL0x211/cmFOpI33vzcdSQ2OMZcl\n"
    "gr348tB2k3FcJLmKJhTqGtiXp/c71l3bblbkZhKiC6wCk1A0M44ks/shAoGBANZL\n"
    "JcNhh//20gGTa1xrhzogsvjrvw1vbmgKelq3W1z7pFKe+UcUyaxLvLBCV1+pRuUo\n"
    "OVF1qJHnBDYHJePSKlAIelgPjSIuK9j6bUccXTV6fYMoofZT9DEnoGVCeGEHrfKe\n"
    "yhEGKksS+5lGPvvvGMfE1hTzrl5lBP4eguU4aFETAoGBAJ2MlCGN7JjFnlHT9o5p\n"
    "FQdaNfnimcfZVzHU5/30N9mWhNpk1M0877j+ORrTZxacXdltO1gC8E9PyAC4Rmdi\n"
    "UXPP1VaKlp/qMnyDKWjb/+hbKKymf7LShgmO/+zIB0JPl5NuI2Fe4/dZuU4X3q49\n"
    "2yHsFg/pLtmy7D/EidyaroZw\n"
    "-----END PRIVATE KEY-----\n";

/* the CA that issues device certificates */
static const char  ca_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCj8pTYhwbbGTV0\n"
    "hpGPM1NNcrhHMqqK7aMmNyv7HWfccyIX9z8X+SWJe5LhXc8euKzibLRxUAXK8SqM\n"
    "TeyYHnqSlJEeJaA4wV0ndqrrDafy5ENwwFhCzRk35gbOzfq3BbBpX92qfuRlnW15\n"
    "MYYq3mw8e8FA8LcS5oHR6rcXHm04vCg6t6NwH7BhIQ6evG4AykiB9BTH0JUAOj7s\n"
    "bJWqSkEFDZUuzjiedBjRT+bFapUQX7siYoVlUmE5cKb4TZpyluSXjhvXT0M26usN\n"
    "zVDij/krtI0ELeRfzY/1N9xgd19whwL43nQwkrLQQMS12GkoNJz8uFnzWVlrB7I9\n"
    "j/2Gf/JvAgMBAAECggEAC44OVZB2uDx3mwXc/nXEmkHKoSH+CRqklA3xaJpy9oOa\n"
    "1IuVg9AIiD8QZBfjgCvN64tz0ESuk9YZhJf9Y99KDkiwTaqjNzzRnvVrKHPm8WSL\n"
    "KEg2MEcaTulEc5Dq6blZ7KNYESsuV8cXryIBbcYNZNnoDfapQIjEf5IGY3e+hPAJ\n"
    "FkDfRXiZUpgyXwh9TYXAIb2Cssj74ppvZ84Gbf9euwb9ayok7gR4qtWFPs0K88rB\n"
    "o/OCFUlNc1kNGSXc3lA26WBhd1740FVRRK9noAjV0qVvIVriI1yxRHHlLd2K5Y1G\n"
    "BrnL/0FCxIi7xWdXdiTCg3cVxtnGZs053wJ+mBnVEQKBgQDShhUurFZjV3+EQo9n\n"
    "Z93ADKSnXFxM0mzz1094t/+1L2Ntw5CQ37fDMg7RAITL3kezTodp2qg/PgK0sacq\n"
    "PFu+cZngXOfPqv3dvyXMLw/GgQK8J74V9kAIZfBuRcWGdEf7QloaBrC82ZZUztx8\n"
    "dwj3X8u/gjSpzVFKIovzqHbC9wKBgQDHXNivt1LDFBPFCmD+gUFZiwAl2hi9svdb\n"
    "6vfbDATIjnYWOqisHVIpNgztZzdh84mDcAfG3ccwaVyEzdRiH+QRDf63TrTP3WQR\n"
    "Wl3mKpRvcHxmdcrIsKuW54D68rHOLC2KLeiSoxQ6emEKMWlIOXGqXe4kSHzLhHXN\n"
    "IQlhkb/2SQKBgFvyAahbznMe0Ouj4lvoSjpJi1QpC4rl0H4DCIuR2RV59/QFmMsd\n"
    "WnXfFAeGMXmUwD34yz2ZKShN3gKrIHZa3DrmBK2wBfJ2HOBPTqPJ3hr1V4tz1Bpl\n"
    "bXv9ga+3u1hIyvNa/F0nlOM2KOkrW7Lkjj70UNl4daW/rYQyaGtnpU7rAoGBAIVc\n"
    "Vpc0yug0RgVJLBkT3eNIWJD5lBNR5KZYR/T/1TNUGSpFkw+PjaaDwaINqb6cayDB\n"
    "kHI3aUe5M2qjRa9eJfJCqmF1BP8H2ijBio6tbR4e4RipMz2M8TvBIUa9krOYWd5V\n"
    "V37AGIgF1WQ8KXFm++I7c1JSKyj5MtRFhUD/fqoBAoGBAKdTw97sMHrzeME9xZYw\n"
    "mcVpn2SggeeBhAC+4UJkm58PR/5wXwtBit18l5pGkhXQyYDs3/63IAyLwAqs5jaf\n"
    "d+ktd85/LyPlvEK8m57jZ8i1iW5dgiby5dlrAbCtVc7Xfylouqus2sCTbidaCnxA\n"
    "ofTNkK8MmMBXJmGfhYlCp57a\n"
    "-----END PRIVATE KEY-----\n";

/* the RA (the NDES "CEP Encryption" role): requests are encrypted to it,
   it signs the CertReps */
static const char  ra_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDLpLo8EtkTIsGA\n"
    "2SbPsZ9XqsIlYt8ESWvvelKuyqjaoUAfUH/40pb2eT/a0k6OXaxDmJoAtoJxZS9U\n"
    "OG3TQOvgCZ4RYRalMMWMpFggP3KoWQYx+jNuzO9Tzob1wchX5ZmpmUK1VjBIUXCu\n"
    "RvlPoK0L7sfG3xGRCgTRJTnX3Lo9IYCneU/p6qCa4+wtIqw6C5FP9Ustn3+AwVnu\n"
    "tugiryCeeZCFL5p2SmURitof/zl7QLx6t6NEO7QIVtoJnNWnswGoW0xIBJn12yhy\n"
    "yL1RB36m8tsmsUGVzJntp/qFeQCL8lfeAB+7EK6Be9DENcRr6DdSfFQlnGGT/r5O\n"
    "5b/Srmw/AgMBAAECggEAEVug/NuLFudOAMpsVU9pv8JlhQ6d6Cgio/QpwGNe1tqK\n"
    "yYCGP/J3Uq/4F5H4hzMIgBnYT/o+jnrWThf3PdwD9FdC2sQLTEOm0GZLwAfty9gM\n"
    "FU4jJy0fCJDgjmnDnBZigth2SAL+NOkthnVfQoB1b5XH/+AQsmuyXb9jZE5uA3rE\n"
    "l901J4zPe9VeaKaNxSJ0aIn5m+Q7Z1hZZRbepIQTIBsX1aij2MPKTpaKy2kSHKgR\n"
    "C0aRpDJ6yotZlVHqhYCb/vGMueGruAy5r0gxOTTNk6ae6fReu4vvlBYx+5U3BNvf\n"
    "/dIdWawtHsvc3fNd7fnbCRhGmUseqkdeAP1HxxTSZQKBgQD+ZiHaqFrzOn8wPc6W\n"
    "603a+jgUQwJwTVjJsc889k783vbVnkljiQZHAILLn56cmiaGxlEf+ltSOi6gq25X\n"
    "J9e2HeiduzRlF2i2SJ0FJkjGkhghBKIBg2h8ov/tm3qLB8XT0HaBcPWDeGx0KE8/\n"
    "OV0jSm/oZUhKX/lDCdaLx//mjQKBgQDM7NJrg3phlifo8biIeJgb2755wxBkxcEs\n"
    "10U2/43O0kws2R0vM5zWD9TjU5ZSVJo2SOY1El+05acLuzBECPGNUuFLQqN7Xz9t\n"
    "4ShvUjli4+jDOfISj7LZE403G8DqaznGQ78jEbD2+gObboc2VeTM4P8yzMDDyVs/\n"
    "/5wt6Dzg+wKBgHE+G3HPIXVGI9ngmXa61dRVL+NtFMfS1mQqH3selXig87WRmU+S\n"
    "blXq1043Bo7lW6MA4pnegwouVhU1Wo+3b6Fk3OhhregWLIl/902Uhi7GV7FS857C\n"
    "1R8uG8i0Pi9nTVuFX0stckyMrZJjYytcqKYN+5SyiSR6ZmW+Gl/srm/9AoGAaRWc\n"
    "RcPTUw2UA7FIxrrIjaiewYPU+UgralotxSlBR+ixZWIkxBq8d00BB13KvQdjWSkC\n"
    "2/5DE9mcUri35HuNmsIAg/51JQPP3AHVIVjR0rM6njott3T26rhK9xKFV/CKXPBK\n"
    "qKoezFei1+bS8XsUbDeIxj0XMI8l+uiR5zyrU1cCgYBn5eJEup7K2NZSmNAv8B44\n"
    "1VmzG+Gx8hLXesFEqgHw2yRJJxLroMtiSoMG0Qx68PZhZZyskpenIR2a/xE30e7z\n"
    "8XNrbNviUhvEfWWYPJSfnJIXIuLWo+36ZdTyFgwm2So6VuZNsgoBMxQgq1lRAyQ+\n"
    "dvsr7+O6bsbCzi2pFz6gZg==\n"
    "-----END PRIVATE KEY-----\n";

/* the iOS-like device: a 4096-bit key, as iOS profiles may ask for */
static const char  ios_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIJQwIBADANBgkqhkiG9w0BAQEFAASCCS0wggkpAgEAAoICAQDN2xHdAH5Jv6CF\n"
    "CXilAEIME2V84nq9vgVBrwmjMYgyH3wugZnc6w2CyWKuLhAcSLHcKeJ8V79P3k1f\n"
    "xShxrvh2dzNNSUMp3hfNk6VWSGpFKed7bc6eKze6ltBfdvnPcW86qBhejS26rX34\n"
    "syNgHMLHeArjtDqeCIO+0JQAimK5qx9ukW7bNmKPOvtiWZO1fp7GBwuLU36mNwlP\n"
    "cyInHKDEcif7Sfkc1IQ6r9o3nOmxmLTGj/LiTjqfpq6UTjPQL2ZmTq0Qq6rvGerQ\n"
    "bxe9ri/YP1w8xIKLEzqGfaYXziSirFJ91axJPMuJvFUUnh4ffMMybu7T5RJtUZkB\n"
    "mSMyBclRJoNcmGqg+MFAiaE9GimeVXZYvnWdZ6FBP3ugSLB9IWF7h4GS6wn1CddT\n"
    "DXvmCFYZqOnsUPuWAbmmawPLTwZ8gXf6CiqV1RBTGQdjwchCBe61kJUX+XV4wZUu\n"
    "iGbSiOdsckkPmtQxyS0gakroNYr8Ykvgpo8G+qOoNM7vE/5yESd1VYcGBIgrNvHw\n"
    "hA3ffbM3/YkT/gbMRRWGeIdkP/1uy/1a0AQIX5pwd9sZ6SXwFJtTUpQGLHGbkfi4\n"
    "AHy3JkbJatU9O3OdZLU2RXFaU5BmN9w9CTLA6VcJL53VJkzOaW+0aYbJsaVax5ih\n"
    "PqonW8C85BWpi4wVFpG/malQnpwcqwIDAQABAoICAFQtY9WacQnZOVuNbu8R9vAX\n"
    "MmXp+sUCIgYk/GzmQUo1w8MErhU/bOvxS8/r+ByIwWpFGl88RnfzcHJcHdi28tUG\n"
    "k0zkS3mgXt1qpa5tuD8GDqlTUq0tAQHkz9ppvWdNfG1g9W4cjvmKHjwHjMytlhyZ\n"
    "AuLv/RRIaQ8rHYpHDG3eAuFkyQ8M4yqstMUX2iXaXDSgBuF3SA/R65W4f9u8giUy\n"
    "hRTlv99BK70P0czx9kHwLuQPUwOld6V3NGZiwB8+csIdI/nwKNrTH0kSVIP06Y2l\n"
    "AyO6O6OBPmpmkPelDSgUDTt1l5jvKk/tWmEu8yRvESbbY//z6SAYwNd9dn3rDdHM\n"
    "DDLBdLjzmx1f3RX6xa2+AvX095RyYlAe7YOVQtf6ZRKDz3Wr6pbIhhGvlaOpXYMW\n"
    "noKGVG4AgS2V2I91NCTAierc1MeomVLpAAb+fK5cgFSf0Qf/0mR4nteHS+7f/Djb\n"
    "+8F0ruwAkMkja5gAivFuaOfR6KZkOIKZwWUB/mCp2CaJg+F17VE5vDnm2jqiTmfU\n"
    "IWsMY+UtnaWXDXe+cHe65Tz1KCGUmQzfPjO9sfbYq/tvNRkZrTyjDWHycR5wDr2X\n"
    "v99QkM9+nUHo2pJ9VGmIAaZAMIj6vXliz6ztT400kvSpx8xwRPLNZR+EI5FJLeSa\n"
    "VQ0sstR3A/YzNDDoZBrRAoIBAQD3EHggDPZhcpg2L8zDURvErBadvKNoNBaOFsSp\n"
    "lR/zJSylQzemcc4HLaIJ0PyuirLysiqALcBDrVA4ufZtuy+dEetzKrOAw4+B8Tp3\n"
    "c6W4QgVBk60fwXCvjwPQfNWpdTeBF4Gn72Q31boBIEBJl+AXb3iHz71rFetWFWYo\n"
    "E9/IF+gQW8Y1IRUUxVlimmcujG8a/F8I44vxXUqRaVsbvWv7/TNEipp/9iO3BDXr\n"
    "UaREPDacQyGTLJn+7ud7cr7m2/IhSvqDeO0wqkJm3Jsw2z9KLSmvW/s23sgW2zfW\n"
    "v5fgoOn0jgeiP0J5ea8CWyBNzgTlgHuo2aMizHLCmwTD/8SZAoIBAQDVTQ53eRGh\n"
    "un84qa0r6Pu70VsvWh2GMl2gBXOE/Gu8ikSKF6xncwPHg7yr+zLghc5k956dqO4a\n"
    "JJ5Y0nqBVSPUH8s3wQhr4qiShWHYqtL9gxrlIy2SaJKhdAyH6GaBl0graSfsQrok\n"
    "hTA+4T1+snfmAF67T0ylwTzOLgCaMK5jEwGYaAEF1eKzqlqOkbCRoKyuOkt/rfWG\n"
    "e9wQghdu5Foq4mFkPbCU+3QFbSS9cCQ9s98O00OLSnec70STajt8nAy6tvw505RT\n"
    "I4uovO5dUsL8Ni9ex5ni5aY/FarReM3Cpa8LIlQvgFq2JjxXlJ+rTmqKNO6XqU+w\n"
    "RJsEVNdV27HjAoIBAQCWio13kg5qcEX49oVBGeHeo7EgKfozm1GHAK6SWlBeem9K\n"
    "v7tgCwYr741Fh/b/b3n8Ub193uLBGhDAj+dtE1q+zVV3FjTMJ90Ao3kpoej/bhL/\n"
    "0zjxGZBNGMqNNhOGrurEGQuixUZ+kxdEal9huE4OWZjKwDU909xS1rUphHqd1JtN\n"
    "pG4Qn3jV8C4327c1cNKeUdqicuwphNvT4KtoKrJql+yuPfpIMDWw5brpCRUbksj/\n"
    "zBPgNpQa931LBi72Qly2Fpawl3WHaqcNQCy7x0w4KW618EkRNQwciTTsAFBNyh7k\n"
    "KcrS/NLHa/LMb7QuVHM9WF2BFCPIJ2Vh2M09lFI5AoIBADEYvIS5hFpyoAf93lNm\n"
    "HFN9+/wpRPR3sV89AfsRUwch2GbkzhU9vxf0dcAsYOiXRAuvh34IvU2dMimFwRb1\n"
    "7vpLmy4pK3QRxvV66CvEHi6mN9GYSEwT7/RjzuKVlsqrdLwxRzQ1o7z2P0Wp+Mqp\n"
    "77ksSqHYve7FTOa0ZgUXwXwiitJ21g1uzvDF/HQmirrqffTYjDpGY2ZiKiROnXAz\n"
    "9aE7XGmDXZrdSjZZigRkxKLDPUufS0PLjz67QFCiOjEThkaQCfyRe+mrG+FqI3+t\n"
    "ph4BpuOtE/nLHHoW1avDn7D3DBSHAVOxuq+Em40ZM6ttsE5Bos2b9jC/ieL0WGB1\n"
    "4jsCggEBANd17YJRshOnH7uBHV/bck0PUrtgh0TeXpgwyeJn+KJGcpJI/KBRXeCW\n"
    "vKYanBRDWi6KVdcg+ufjCpjboX/A/pkv/KC7ZILnUhmjZ8Ahce/G/xPJWY146Ir2\n"
    "7tfplt8pPULWeaXbImhKPccl5dIqthFysimHi7Yj9XvY9vVaTlBH2XuO257xUVLN\n"
    "VmpSNHgol6x4I0QvwoYN9O3wuBOr8a5652y8gecneKZ2GEqjCPkNHDhnjSsMPr84\n"
    "Rx42JbrB0G8bG0wyHmbyz2vJOrCjf5HTTl/RTFC8LOpY209RkyHu36h3RvKUPIhf\n"
    "VwywZ0BRyXdJQLjX4giuY/O8cFEDxns=\n"
    "-----END PRIVATE KEY-----\n";

/* the NDES "Exchange Enrollment Agent (Offline request)" RA key */
static const char  agent_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDHX7fO/7JTxYdv\n"
    "7Rxe9c/fQG/IAu5SDA6uNM0m+QcaxBa0g7h8bxZ3rB3YcTYYltWsgdmuFtDR5p7F\n"
    "XF9sDln9mCt/uiDOhXmCTTWBhopBfbUBK0Pk3bNv4BCVkwOr7vnaOTaR+d9FLR7I\n"
    "NYi1S/afhQvahLmXkKdlFR6m/4+17QU3wjcuOIPe09y2MIfU7nlz03v6ja27HPpS\n"
    "W8/WlTlPyE1KpSgp6V219YPnWsCiGhEDFiJ8MjlTzjKa5+jC4HJCYUa4FvYn/FpC\n"
    "S84+XJkxqgFdfS9tnlp2mXr8kQ9RzF1h07x148FGAG2uXiKOV/4Lo4izsaeG+0r/\n"
    "TYoxQWr9AgMBAAECggEATKFkLzpFawBpqaH7vR4C617DeB90RXHf9KJT1e5yhh2n\n"
    "UnOsZZt3CcFMaWQ+NB5Je3gfWFPpqDvZe6chABHWEew6j+nU8TwJM4WEksfI/RoZ\n"
    "h5z/CAkUjmQTS8JJb3y3aOKDsIDXiampgq9c374WSULkhvVrti9Bv87pzKs+q+AD\n"
    "A9jB/gsDZhsCutc7lzQjQpr3UmLllIjmFQpmWk+HD+e+6xkyL4XznOmNlEXe3dZT\n"
    "+j0C/02NSHNSle0CKwTuRFWpy8ZtL7csu1dr1xDkgJ6iDKe7+QPphLVG2qdg4RwG\n"
    "C+Bt0LoRrJmDnYim3oJGJYG23c5ZdXF/wXRewpsWawKBgQD6THus97er+ZLlWv4l\n"
    "8n5XZRtzsMm/NVfmSrhCMw7z2rilDqvjSM5THxCjYvh+kJlzdTpAPAlaoRtLm8WR\n"
    "T4q06iClv5AmguYXDhRRokBu0NVNSTIzu5l2Jg6lpYnYgX2EMJK02urRKWApce1y\n"
    "Qq/wCE0AU6SxXmPbamwYaT/1gwKBgQDL6kl2oDVOxUBjfJKGUxEW4DITOExPE5Q3\n"
    "9iyLyXbMq85Q8On52qVKuBhC1JCmjXVGhJCjz643oQjXCcn/w6GqCuXTkqVM5udb\n"
    "G2rk7snYRs/zVfFZgIlr8XhJCnp2OHbRWPyDngr1N40H7GoO7ST/JEr38vgmczLD\n"
    "vIkGRHu1fwKBgChiWroHpdzbgbX7vnHE9FmJeKpr5cEyDCKd/6i+sDTsH0qSWW1s\n"
    "e82xf2+9MjbJgdi9G07t4Nx8jfjfAzt0x/50oBveEpYEHLevj9u0AA1hKGk13CG4\n"
    "rQQBE+/qC5mhGu1PIPyJLcXdlSRau2LqG5Tw4euhkzsC7b2jKBmwMZ+dAoGAS+z2\n"
    "YZcRgjzr1p9Bp4YybMQZoRJrR15Q5+1fdMUU2Ox3q6eoVwHUXdfiILApE/rD2ffu\n"
    "KzBe/BOXyQm6DuN2xGu+W2LU7adkKYYx7QAEY+Up9L7hWKQFhw2n7fpa0r3/b7+k\n"
    "dhVYmymN949NhjVCe0W2LFBpmVd3ZW5DzvOc5F0CgYEA9GIYy59y3dIONOvBaan0\n"
    "JrVZLdOCqKTvfLRMAETsWFeqrq+7ABivO6QTiRDYNAN5LiI3K1fd1vlXMN1vRobC\n"
    "n7WcqOCPqGfDdcFyLeIR4bFlSJLRdE/K/d03TBwqJIdSngi77InHsHv3ZyJK/p8h\n"
    "ej8UyK4/LFG8zam/KNBc0Ig=\n"
    "-----END PRIVATE KEY-----\n";

/* a P-256 device key */
static const char  ec_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgENhwZ9wQSLG2mR7q\n"
    "0BsiYEMx8/hz8d7kggJTlYRX8EuhRANCAARx0r7IWSNiM9AFNxryV9cq/cJR1v5U\n"
    "f+e2T7bq6wJofS5aMAB6XyKSXXX2AcROTlqi+UTF4el1PaxeBzUQI9Hf\n"
    "-----END PRIVATE KEY-----\n";


/* ------------------------------------------------------------------------ */
/* failure, byte buffers */


static void
fail(const char *fmt, ...)
{
    va_list  args;

    fprintf(stderr, "scep-gen: ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "\n");
    ERR_print_errors_fp(stderr);
    exit(1);
}


static void *
xalloc(size_t size)
{
    void  *p;

    p = calloc(1, size ? size : 1);
    if (p == NULL) {
        fail("out of memory");
    }

    return p;
}


typedef struct {
    unsigned char             *data;
    size_t                     len;
    size_t                     size;
} buf_t;


static void
buf_add(buf_t *b, const void *p, size_t n)
{
    size_t          size;
    unsigned char  *data;

    if (b->len + n > b->size) {
        size = b->size ? b->size : 256;
        while (size < b->len + n) {
            size *= 2;
        }

        data = realloc(b->data, size);
        if (data == NULL) {
            fail("out of memory");
        }

        b->data = data;
        b->size = size;
    }

    if (n) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}


static void
buf_byte(buf_t *b, unsigned char c)
{
    buf_add(b, &c, 1);
}


static void
buf_printf(buf_t *b, const char *fmt, ...)
{
    int      n;
    char     tmp[1024];
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, args);
    va_end(args);

    if (n < 0 || (size_t) n >= sizeof(tmp)) {
        fail("buf_printf: too long");
    }

    buf_add(b, tmp, n);
}


static void
buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->size = 0;
}


static void
hex(char *dst, const unsigned char *p, size_t len, int upper)
{
    size_t       i;
    const char  *digits;

    digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    for (i = 0; i < len; i++) {
        *dst++ = digits[p[i] >> 4];
        *dst++ = digits[p[i] & 0xf];
    }

    *dst = '\0';
}


/* ------------------------------------------------------------------------ */
/* the deterministic random stream: SHA-256(seed || counter) blocks */


static unsigned char  gen_seed[SHA256_DIGEST_LENGTH];
static uint64_t       gen_counter;
static unsigned char  gen_block[SHA256_DIGEST_LENGTH];
static size_t         gen_avail;


static void
gen_reseed(const char *label)
{
    buf_t  b;

    memset(&b, 0, sizeof(b));
    buf_printf(&b, "ngx_scep fixtures, scep-gen: %s", label);
    SHA256(b.data, b.len, gen_seed);
    buf_free(&b);

    gen_counter = 0;
    gen_avail = 0;
}


static int
gen_rand_bytes(unsigned char *buf, int num)
{
    size_t         n;
    unsigned char  in[SHA256_DIGEST_LENGTH + 8];

    while (num > 0) {
        if (gen_avail == 0) {
            memcpy(in, gen_seed, sizeof(gen_seed));
            memcpy(in + sizeof(gen_seed), &gen_counter, 8);
            gen_counter++;
            SHA256(in, sizeof(in), gen_block);
            gen_avail = sizeof(gen_block);
        }

        n = (size_t) num < gen_avail ? (size_t) num : gen_avail;
        memcpy(buf, gen_block + sizeof(gen_block) - gen_avail, n);
        gen_avail -= n;
        buf += n;
        num -= n;
    }

    return 1;
}


static int
gen_rand_status(void)
{
    return 1;
}


static RAND_METHOD  gen_rand_method = {
    NULL,                             /* seed */
    gen_rand_bytes,
    NULL,                             /* cleanup */
    NULL,                             /* add */
    gen_rand_bytes,                   /* pseudorand */
    gen_rand_status
};


/* the first 16 bytes of SHA-256 of a label: the nonce of that message */

static void
gen_nonce(unsigned char *nonce, const char *label)
{
    unsigned char  md[SHA256_DIGEST_LENGTH];
    buf_t          b;

    memset(&b, 0, sizeof(b));
    buf_printf(&b, "ngx_scep fixtures, senderNonce: %s", label);
    SHA256(b.data, b.len, md);
    buf_free(&b);

    memcpy(nonce, md, NONCE_LEN);
}


/*
 * The transactionID RFC 8894 recommends, and jscep sends: the hex SHA-1 of
 * the requester's public key (40 digits); with a key of NULL, of a label.
 */

static void
gen_transaction_id(char *tid, EVP_PKEY *key, const char *label)
{
    int             len;
    unsigned char  *der, md[SHA_DIGEST_LENGTH];

    if (key != NULL) {
        der = NULL;
        len = i2d_PUBKEY(key, &der);
        if (len <= 0) {
            fail("i2d_PUBKEY");
        }

        SHA1(der, len, md);
        OPENSSL_free(der);

    } else {
        SHA1((const unsigned char *) label, strlen(label), md);
    }

    hex(tid, md, sizeof(md), 1);
}


/* ------------------------------------------------------------------------ */
/*
 * A DER tree, to make what OpenSSL will not: BER encodings and defects.
 * Parsed from DER made by OpenSSL, edited, written back with the lengths
 * recomputed, except where a node carries its own (a defect).
 */


typedef struct der_node_s  der_node_t;

struct der_node_s {
    unsigned                   tag;       /* identifier octet, low tags */
    unsigned                   indefinite:1;
    size_t                     segment;   /* > 0: a primitive string is
                                             written constructed, of
                                             segments of this size */
    const unsigned char       *length;    /* raw length octets to write
                                             instead of the true ones */
    size_t                     length_len;
    unsigned char             *data;      /* primitive content */
    size_t                     len;
    der_node_t                *child;     /* constructed content */
    der_node_t                *next;
};


static der_node_t *
der_parse(const unsigned char *p, size_t len)
{
    size_t       hl, cl, k, i;
    der_node_t  *head, **tail, *n;

    head = NULL;
    tail = &head;

    while (len) {
        if (len < 2 || (p[0] & 0x1f) == 0x1f) {
            fail("der_parse: not DER this tool can edit");
        }

        if (p[1] < 0x80) {
            cl = p[1];
            hl = 2;

        } else {
            k = p[1] & 0x7f;
            if (k == 0 || k > sizeof(size_t) || len < 2 + k) {
                fail("der_parse: bad length");
            }

            for (cl = 0, i = 0; i < k; i++) {
                cl = cl << 8 | p[2 + i];
            }

            hl = 2 + k;
        }

        if (cl > len - hl) {
            fail("der_parse: truncated");
        }

        n = xalloc(sizeof(der_node_t));
        n->tag = p[0];

        if (n->tag & 0x20) {
            n->child = der_parse(p + hl, cl);

        } else {
            n->data = xalloc(cl);
            memcpy(n->data, p + hl, cl);
            n->len = cl;
        }

        *tail = n;
        tail = &n->next;

        p += hl + cl;
        len -= hl + cl;
    }

    return head;
}


static void
der_free(der_node_t *n)
{
    der_node_t  *next;

    while (n) {
        next = n->next;
        der_free(n->child);
        free(n->data);
        free(n);
        n = next;
    }
}


static void
der_put_length(buf_t *b, size_t len)
{
    int            i, k;
    unsigned char  octets[sizeof(size_t)];

    if (len < 0x80) {
        buf_byte(b, (unsigned char) len);
        return;
    }

    for (k = 0; len; k++) {
        octets[k] = len & 0xff;
        len >>= 8;
    }

    buf_byte(b, 0x80 | k);

    for (i = k - 1; i >= 0; i--) {
        buf_byte(b, octets[i]);
    }
}


static void
der_write(buf_t *b, const der_node_t *n)
{
    size_t             off, seg;
    buf_t              content;
    const der_node_t  *k;

    if (n->segment && !(n->tag & 0x20)) {
        buf_byte(b, n->tag | 0x20);
        buf_byte(b, 0x80);

        for (off = 0; off < n->len; off += seg) {
            seg = n->len - off < n->segment ? n->len - off : n->segment;
            buf_byte(b, n->tag);
            der_put_length(b, seg);
            buf_add(b, n->data + off, seg);
        }

        buf_add(b, "\0\0", 2);
        return;
    }

    memset(&content, 0, sizeof(content));

    if (n->tag & 0x20) {
        for (k = n->child; k; k = k->next) {
            der_write(&content, k);
        }

    } else {
        buf_add(&content, n->data, n->len);
    }

    buf_byte(b, n->tag);

    if (n->indefinite) {
        buf_byte(b, 0x80);
        buf_add(b, content.data, content.len);
        buf_add(b, "\0\0", 2);

    } else {
        if (n->length) {
            buf_add(b, n->length, n->length_len);

        } else {
            der_put_length(b, content.len);
        }

        buf_add(b, content.data, content.len);
    }

    buf_free(&content);
}


static der_node_t *
der_nth(der_node_t *n, unsigned i, unsigned tag)
{
    der_node_t  *k;

    for (k = n->child; k && i; k = k->next, i--) { /* void */ }

    if (k == NULL || k->tag != tag) {
        fail("der_nth: child %u of tag 0x%02x is not 0x%02x", i, n->tag, tag);
    }

    return k;
}


/* the nodes of a pkiMessage (ContentInfo of SignedData) that get edited */

typedef struct {
    der_node_t                *root;
    der_node_t                *content;          /* ContentInfo [0] */
    der_node_t                *signed_data;
    der_node_t                *encap;            /* encapContentInfo */
    der_node_t                *econtent_tag;     /* its [0], or NULL */
    der_node_t                *econtent;         /* the OCTET STRING */
    der_node_t                *certificates;     /* [0], or NULL */
    der_node_t                *signer_infos;
    der_node_t                *signer_info;      /* the first, or NULL */
    der_node_t                *signature;
} pkimsg_t;


static void
pkimsg_parse(pkimsg_t *m, const buf_t *der)
{
    der_node_t  *k;

    memset(m, 0, sizeof(pkimsg_t));

    m->root = der_parse(der->data, der->len);
    if (m->root->tag != 0x30 || m->root->next) {
        fail("pkimsg_parse: not one SEQUENCE");
    }

    m->content = der_nth(m->root, 1, 0xa0);
    m->signed_data = der_nth(m->content, 0, 0x30);
    m->encap = der_nth(m->signed_data, 2, 0x30);

    if (m->encap->child->next) {
        m->econtent_tag = der_nth(m->encap, 1, 0xa0);
        m->econtent = der_nth(m->econtent_tag, 0, 0x04);
    }

    for (k = m->encap->next; k; k = k->next) {
        if (k->tag == 0xa0) {
            m->certificates = k;
        }

        if (k->next == NULL) {
            m->signer_infos = k;
        }
    }

    if (m->signer_infos == NULL || m->signer_infos->tag != 0x31) {
        fail("pkimsg_parse: no signerInfos");
    }

    m->signer_info = m->signer_infos->child;

    if (m->signer_info) {
        for (k = m->signer_info->child; k; k = k->next) {
            if (k->tag == 0x04) {
                m->signature = k;
                break;
            }
        }
    }
}


static void
pkimsg_write(buf_t *out, pkimsg_t *m)
{
    memset(out, 0, sizeof(buf_t));
    der_write(out, m->root);
    der_free(m->root);
}


/*
 * DER to BER as iOS sends a pkiMessage: indefinite lengths on the outer
 * constructed layers, and the encapsulated content as a constructed OCTET
 * STRING of segments.  Only containers outside what is signed change:
 * the signed attributes keep their DER (the signature is over it), and so
 * do the certificates and the content octets (the messageDigest is over
 * them), so the signature stays valid.
 */

static void
der_to_ber(buf_t *ber, const buf_t *der, size_t segment)
{
    pkimsg_t  m;

    pkimsg_parse(&m, der);

    m.root->indefinite = 1;
    m.content->indefinite = 1;
    m.signed_data->indefinite = 1;
    m.encap->indefinite = 1;
    m.signer_infos->indefinite = 1;

    if (m.econtent) {
        m.econtent_tag->indefinite = 1;
        m.econtent->segment = segment;
    }

    if (m.certificates) {
        m.certificates->indefinite = 1;
    }

    pkimsg_write(ber, &m);
}


/* ------------------------------------------------------------------------ */
/* keys, names, certificates, CSRs */


static EVP_PKEY *
key_load(const char *pem)
{
    BIO       *bio;
    EVP_PKEY  *key;

    bio = BIO_new_mem_buf(pem, -1);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (key == NULL) {
        fail("PEM_read_bio_PrivateKey");
    }

    return key;
}


/* a Name from "C", "US", "O", "...", ..., NULL: the first RDN first */

static X509_NAME *
name_make(const char *const *rdn)
{
    X509_NAME  *name;

    name = X509_NAME_new();

    for ( /* void */ ; rdn[0]; rdn += 2) {
        if (!X509_NAME_add_entry_by_txt(name, rdn[0], MBSTRING_ASC,
                                        (const unsigned char *) rdn[1],
                                        -1, -1, 0))
        {
            fail("X509_NAME_add_entry_by_txt %s", rdn[0]);
        }
    }

    return name;
}


static void
name_rfc2253(char *dst, size_t size, const X509_NAME *name)
{
    int   n;
    BIO  *bio;

    bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    n = BIO_read(bio, dst, size - 1);
    dst[n > 0 ? n : 0] = '\0';
    BIO_free(bio);
}


static void
add_exts(X509 *x, X509 *issuer, X509_REQ *req,
    STACK_OF(X509_EXTENSION) **sk, const char *const *ext)
{
    X509V3_CTX       ctx;
    X509_EXTENSION  *e;

    X509V3_set_ctx(&ctx, issuer, x, req, NULL, 0);

    for ( /* void */ ; ext[0]; ext += 2) {
        e = X509V3_EXT_nconf(NULL, &ctx, ext[0], ext[1]);
        if (e == NULL) {
            fail("X509V3_EXT_nconf %s = %s", ext[0], ext[1]);
        }

        /* a certificate copies the extension, a CSR's list takes it */
        if (x) {
            X509_add_ext(x, e, -1);
            X509_EXTENSION_free(e);

        } else {
            sk_X509_EXTENSION_push(*sk, e);
        }
    }
}


/*
 * A certificate of fixed serial and validity; issuer NULL: self-signed.
 * RSA PKCS#1 v1.5 signatures are deterministic; ECDSA ones take their
 * nonce from the seeded stream.
 */

static X509 *cert_make_dated(const char *label, const char *const *subject,
    EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, unsigned long serial,
    const char *const *ext, const char *not_before, const char *not_after);


static X509 *
cert_make(const char *label, const char *const *subject, EVP_PKEY *pub,
    X509 *issuer, EVP_PKEY *issuer_key, unsigned long serial,
    const char *const *ext)
{
    return cert_make_dated(label, subject, pub, issuer, issuer_key, serial,
                           ext, NOT_BEFORE, NOT_AFTER);
}


/* the same, valid from not_before to not_after (GeneralizedTime text) */

static X509 *
cert_make_dated(const char *label, const char *const *subject, EVP_PKEY *pub,
    X509 *issuer, EVP_PKEY *issuer_key, unsigned long serial,
    const char *const *ext, const char *not_before, const char *not_after)
{
    X509           *x;
    BIGNUM         *bn;
    X509_NAME      *name;
    unsigned char   md[SHA256_DIGEST_LENGTH];

    x = X509_new();
    X509_set_version(x, 2);

    /* a 16-byte serial as scepclient makes them, or a small one as a CA */
    if (serial == 0) {
        SHA256((const unsigned char *) label, strlen(label), md);
        md[0] &= 0x7f;
        bn = BN_bin2bn(md, 16, NULL);

    } else {
        bn = BN_new();
        BN_set_word(bn, serial);
    }

    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);

    name = name_make(subject);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_NAME_free(name);

    if (!ASN1_TIME_set_string_X509(X509_getm_notBefore(x), not_before)
        || !ASN1_TIME_set_string_X509(X509_getm_notAfter(x), not_after))
    {
        fail("%s: bad validity %s - %s", label, not_before, not_after);
    }
    X509_set_pubkey(x, pub);

    add_exts(x, issuer ? issuer : x, NULL, NULL, ext);

    gen_reseed(label);

    if (!X509_sign(x, issuer_key ? issuer_key : pub, EVP_sha256())) {
        fail("X509_sign %s", label);
    }

    return x;
}


static void
csr_make(buf_t *out, EVP_PKEY *key, const char *const *subject,
    const char *challenge, const char *const *ext)
{
    X509_REQ                  *req;
    X509_NAME                 *name;
    unsigned char             *p;
    STACK_OF(X509_EXTENSION)  *exts;

    req = X509_REQ_new();
    X509_REQ_set_version(req, 0);

    name = name_make(subject);
    X509_REQ_set_subject_name(req, name);
    X509_NAME_free(name);

    X509_REQ_set_pubkey(req, key);

    if (challenge
        && !X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
                                      MBSTRING_ASC,
                                      (const unsigned char *) challenge, -1))
    {
        fail("challengePassword");
    }

    exts = sk_X509_EXTENSION_new_null();
    add_exts(NULL, NULL, req, &exts, ext);
    X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    gen_reseed("csr");

    if (!X509_REQ_sign(req, key, EVP_sha256())) {
        fail("X509_REQ_sign");
    }

    memset(out, 0, sizeof(buf_t));
    out->len = i2d_X509_REQ(req, NULL);
    out->data = xalloc(out->len);
    p = out->data;
    i2d_X509_REQ(req, &p);

    X509_REQ_free(req);
}


static void
cert_der(buf_t *out, X509 *x)
{
    unsigned char  *p;

    memset(out, 0, sizeof(buf_t));
    out->len = i2d_X509(x, NULL);
    out->data = xalloc(out->len);
    p = out->data;
    i2d_X509(x, &p);
}


/* the content of GetCert and GetCRL */

static void
issuer_and_serial(buf_t *out, X509 *x)
{
    int                        len;
    unsigned char             *p;
    PKCS7_ISSUER_AND_SERIAL   *ias;

    ias = PKCS7_ISSUER_AND_SERIAL_new();
    X509_NAME_set(&ias->issuer, X509_get_issuer_name(x));
    ASN1_INTEGER_free(ias->serial);
    ias->serial = ASN1_INTEGER_dup(X509_get0_serialNumber(x));

    len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, NULL);
    memset(out, 0, sizeof(buf_t));
    out->data = xalloc(len);
    out->len = len;
    p = out->data;
    i2d_PKCS7_ISSUER_AND_SERIAL(ias, &p);

    PKCS7_ISSUER_AND_SERIAL_free(ias);
}


/* the content of CertPoll: IssuerAndSubject ::= SEQUENCE { Name, Name } */

static void
issuer_and_subject(buf_t *out, X509 *issuer, const char *const *subject)
{
    int             len;
    buf_t           names;
    X509_NAME      *name;
    unsigned char  *p;

    memset(&names, 0, sizeof(buf_t));

    p = NULL;
    len = i2d_X509_NAME(X509_get_subject_name(issuer), &p);
    buf_add(&names, p, len);
    OPENSSL_free(p);

    name = name_make(subject);
    p = NULL;
    len = i2d_X509_NAME(name, &p);
    buf_add(&names, p, len);
    OPENSSL_free(p);
    X509_NAME_free(name);

    memset(out, 0, sizeof(buf_t));
    buf_byte(out, 0x30);
    der_put_length(out, names.len);
    buf_add(out, names.data, names.len);
    buf_free(&names);
}


/* a degenerate PKCS#7 SignedData of certificates, as CertRep SUCCESS holds */

static void degenerate_p7_certs(buf_t *out, X509 **x, unsigned n);

static void
degenerate_p7(buf_t *out, X509 *x)
{
    degenerate_p7_certs(out, &x, 1);
}


/* the same of n certificates in that order: GetCACert's CA/RA answer */

static void
degenerate_p7_certs(buf_t *out, X509 **x, unsigned n)
{
    int             len;
    unsigned        i;
    PKCS7          *p7;
    unsigned char  *p;

    p7 = PKCS7_new();
    if (!PKCS7_set_type(p7, NID_pkcs7_signed)) {
        fail("PKCS7_set_type");
    }

    p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);

    for (i = 0; i < n; i++) {
        PKCS7_add_certificate(p7, x[i]);
    }

    len = i2d_PKCS7(p7, NULL);
    memset(out, 0, sizeof(buf_t));
    out->data = xalloc(len);
    out->len = len;
    p = out->data;
    i2d_PKCS7(p7, &p);

    PKCS7_free(p7);
}


/* ------------------------------------------------------------------------ */
/* CMS */


static void
cms_der(buf_t *out, CMS_ContentInfo *cms)
{
    int             len;
    unsigned char  *p;

    len = i2d_CMS_ContentInfo(cms, NULL);
    if (len <= 0) {
        fail("i2d_CMS_ContentInfo");
    }

    memset(out, 0, sizeof(buf_t));
    out->data = xalloc(len);
    out->len = len;
    p = out->data;
    i2d_CMS_ContentInfo(cms, &p);
}


/* the pkcsPKIEnvelope: EnvelopedData, AES-256-CBC, RSA key transport */

static void
envelope(buf_t *out, const char *label, X509 *recipient, const buf_t *in)
{
    BIO              *bio;
    CMS_ContentInfo  *cms;
    STACK_OF(X509)   *certs;

    certs = sk_X509_new_null();
    sk_X509_push(certs, recipient);
    bio = BIO_new_mem_buf(in->data, in->len);

    gen_reseed(label);

    cms = CMS_encrypt(certs, bio, EVP_aes_256_cbc(), CMS_BINARY);
    if (cms == NULL) {
        fail("CMS_encrypt %s", label);
    }

    cms_der(out, cms);

    CMS_ContentInfo_free(cms);
    BIO_free(bio);
    sk_X509_free(certs);
}


typedef struct {
    const char                *oid;
    int                        type;      /* V_ASN1_PRINTABLESTRING, ... */
    const unsigned char       *data;
    size_t                     len;
} attr_t;


#define MAX_ATTRS  8

typedef struct {
    const char                *name;      /* file, and seed label */
    X509                      *cert;
    EVP_PKEY                  *key;
    X509                      *extra[2];  /* more certificates */
    const EVP_MD              *md;
    unsigned                   keyid:1;   /* SignerInfo v3, by SKI */
    const buf_t               *content;   /* NULL: none (CertRep) */
    attr_t                     attrs[MAX_ATTRS];
    unsigned                   nattrs;
    const char                *signing_time;  /* UTCTime text; NULL: the
                                                 fixed SIGNING_TIME */
    unsigned                   no_signing_time:1;
} sign_t;


static void
attr_add(sign_t *s, const char *oid, int type, const void *data, size_t len)
{
    if (s->nattrs == MAX_ATTRS) {
        fail("too many attributes");
    }

    s->attrs[s->nattrs].oid = oid;
    s->attrs[s->nattrs].type = type;
    s->attrs[s->nattrs].data = data;
    s->attrs[s->nattrs].len = len;
    s->nattrs++;
}


static void
attr_str(sign_t *s, const char *oid, const char *value)
{
    attr_add(s, oid, V_ASN1_PRINTABLESTRING, value, strlen(value));
}


/*
 * The pkiMessage: SignedData with the SCEP attributes, built by OpenSSL;
 * its signature is valid whatever the attributes say.
 */

static void
pki_sign(buf_t *out, const sign_t *s)
{
    BIO              *bio;
    unsigned          i, flags;
    ASN1_OBJECT      *obj;
    ASN1_UTCTIME     *t;
    CMS_SignerInfo   *si;
    CMS_ContentInfo  *cms;

    flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;

    cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (cms == NULL) {
        fail("CMS_sign %s", s->name);
    }

    si = CMS_add1_signer(cms, s->cert, s->key, s->md,
                         flags | (s->keyid ? CMS_USE_KEYID : 0));
    if (si == NULL) {
        fail("CMS_add1_signer %s", s->name);
    }

    for (i = 0; i < 2 && s->extra[i]; i++) {
        CMS_add1_cert(cms, s->extra[i]);
    }

    /* OpenSSL would add the current time: a fixed one keeps files stable */
    if (!s->no_signing_time) {
        t = ASN1_UTCTIME_new();
        ASN1_UTCTIME_set_string(t, s->signing_time ? s->signing_time
                                                   : SIGNING_TIME);
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
                                    V_ASN1_UTCTIME, t, -1);
        ASN1_UTCTIME_free(t);
    }

    for (i = 0; i < s->nattrs; i++) {
        obj = OBJ_txt2obj(s->attrs[i].oid, 1);

        if (!CMS_signed_add1_attr_by_OBJ(si, obj, s->attrs[i].type,
                                         s->attrs[i].data, s->attrs[i].len))
        {
            fail("CMS_signed_add1_attr_by_OBJ %s %s", s->name,
                 s->attrs[i].oid);
        }

        ASN1_OBJECT_free(obj);
    }

    /* RFC 8894: a CertRep without pkcsPKIEnvelope has no content at all */
    if (s->content == NULL) {
        CMS_set_detached(cms, 1);
        bio = BIO_new_mem_buf("", 0);

    } else {
        bio = BIO_new_mem_buf(s->content->data, s->content->len);
    }

    gen_reseed(s->name);

    if (!CMS_final(cms, bio, NULL, CMS_BINARY)) {
        fail("CMS_final %s", s->name);
    }

    cms_der(out, cms);

    BIO_free(bio);
    CMS_ContentInfo_free(cms);
}


/* ------------------------------------------------------------------------ */
/* what a file holds, read back with OpenSSL, and the manifest */


typedef struct {
    const char                *code;
    const char                *name;
} code_name_t;


static const code_name_t  msg_types[] = {
    { "19", "PKCSReq" },
    { "17", "RenewalReq" },
    { "18", "UpdateReq" },
    { "20", "CertPoll" },
    { "21", "GetCert" },
    { "22", "GetCRL" },
    { "3", "CertRep" },
    { NULL, NULL }
};


static const code_name_t  pki_statuses[] = {
    { "0", "SUCCESS" },
    { "2", "FAILURE" },
    { "3", "PENDING" },
    { NULL, NULL }
};


static const code_name_t  fail_infos[] = {
    { "0", "badAlg" },
    { "1", "badMessageCheck" },
    { "2", "badRequest" },
    { "3", "badTime" },
    { "4", "badCertId" },
    { NULL, NULL }
};


static const char *
code_lookup(const code_name_t *t, const char *code)
{
    for ( /* void */ ; t->code; t++) {
        if (strcmp(t->code, code) == 0) {
            return t->name;
        }
    }

    return NULL;
}


/* one manifest entry; empty strings and negative counts are left out */

typedef struct {
    char                       name[64];
    const char                *kind;
    size_t                     size;
    char                       encoding[4];
    char                       content_type[32];  /* when not signedData */
    char                       type[16];
    char                       type_code[16];
    char                       transaction_id[128];
    char                       sender_nonce[2 * 64 + 1];
    char                       recipient_nonce[2 * 64 + 1];
    char                       pki_status[16];
    char                       pki_status_code[8];
    char                       fail_info[24];
    char                       fail_info_code[8];
    char                       digest[16];
    char                       signer_id[32];
    char                       signer_subject[256];
    char                       signature[8];
    int                        signers;
    int                        certificates;
    char                       content[32];
    char                       in_reply_to[64];
    char                       reject[32];
    const char                *note;
    const char                *source;
    buf_t                      extra;             /* more JSON members */
} desc_t;


static desc_t    entries[MAX_ENTRIES];
static unsigned  nentries;


static desc_t *
entry_new(const char *name, const char *kind, size_t size)
{
    desc_t  *d;

    if (nentries == MAX_ENTRIES) {
        fail("too many entries");
    }

    d = &entries[nentries++];
    memset(d, 0, sizeof(desc_t));
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->kind = kind;
    d->size = size;
    d->signers = -1;
    d->certificates = -1;

    return d;
}


/* the values of all the signed attributes of that OID, at most max */

static int
attr_values(CMS_SignerInfo *si, const char *oid, ASN1_TYPE **v, int max)
{
    int              idx, i, n;
    ASN1_OBJECT     *obj;
    X509_ATTRIBUTE  *attr;

    obj = OBJ_txt2obj(oid, 1);
    n = 0;
    idx = -1;

    while ((idx = CMS_signed_get_attr_by_OBJ(si, obj, idx)) >= 0) {
        attr = CMS_signed_get_attr(si, idx);

        for (i = 0; i < X509_ATTRIBUTE_count(attr); i++) {
            if (n < max) {
                v[n] = X509_ATTRIBUTE_get0_type(attr, i);
            }

            n++;
        }
    }

    ASN1_OBJECT_free(obj);

    return n;
}


/* a single PrintableString value, as every SCEP string attribute is */

static int
attr_string(CMS_SignerInfo *si, const char *oid, char *dst, size_t size)
{
    ASN1_TYPE  *v[2];
    int         n, len;

    n = attr_values(si, oid, v, 2);

    if (n != 1 || v[0]->type != V_ASN1_PRINTABLESTRING) {
        return n;
    }

    len = ASN1_STRING_length(v[0]->value.printablestring);
    if ((size_t) len >= size) {
        len = size - 1;
    }

    memcpy(dst, ASN1_STRING_get0_data(v[0]->value.printablestring), len);
    dst[len] = '\0';

    return 1;
}


static void
attr_octets(CMS_SignerInfo *si, const char *oid, char *dst, size_t size)
{
    int         len;
    ASN1_TYPE  *v[2];

    if (attr_values(si, oid, v, 2) != 1 || v[0]->type != V_ASN1_OCTET_STRING)
    {
        return;
    }

    len = ASN1_STRING_length(v[0]->value.octet_string);
    if ((size_t) len * 2 >= size) {
        return;
    }

    hex(dst, ASN1_STRING_get0_data(v[0]->value.octet_string), len, 0);
}


/*
 * The size of the TLV at p, 0 if it is not BER; *ber is set when it uses
 * what DER forbids and the module reports as "ber": indefinite or
 * non-minimal lengths, constructed strings.  (The order of SET OF members,
 * which DER also fixes, is not looked at: scepserver's CertRep, DER
 * otherwise, has its certificates out of that order.)
 */

static size_t
ber_tlv(const unsigned char *p, size_t len, unsigned depth, unsigned *ber)
{
    size_t    hl, cl, k, n, off;
    unsigned  tag;

    if (depth > 64 || len < 2 || (p[0] & 0x1f) == 0x1f) {
        return 0;
    }

    tag = p[0];

    if (p[1] == 0x80) {
        if (!(tag & 0x20)) {
            return 0;
        }

        *ber = 1;

        for (off = 2; /* void */; off += n) {
            if (len - off < 2) {
                return 0;
            }

            if (p[off] == 0 && p[off + 1] == 0) {
                return off + 2;
            }

            n = ber_tlv(p + off, len - off, depth + 1, ber);
            if (n == 0) {
                return 0;
            }
        }
    }

    if (p[1] < 0x80) {
        cl = p[1];
        hl = 2;

    } else {
        k = p[1] & 0x7f;
        if (k > sizeof(size_t) || len < 2 + k) {
            return 0;
        }

        for (cl = 0, n = 0; n < k; n++) {
            cl = cl << 8 | p[2 + n];
        }

        hl = 2 + k;

        if (cl < 0x80 || p[2] == 0) {
            *ber = 1;
        }
    }

    if (cl > len - hl) {
        return 0;
    }

    if (tag & 0x20) {
        /* universal and constructed, but not SEQUENCE or SET: a string */
        if ((tag & 0xc0) == 0 && tag != 0x30 && tag != 0x31) {
            *ber = 1;
        }

        for (off = hl; off < hl + cl; off += n) {
            n = ber_tlv(p + off, hl + cl - off, depth + 1, ber);
            if (n == 0) {
                return 0;
            }
        }
    }

    return hl + cl;
}


static void
describe_pkimsg(desc_t *d, const buf_t *msg)
{
    int                         i, n;
    BIO                        *dcont;
    unsigned                    ber;
    X509                       *x;
    const char                 *name;
    ASN1_OCTET_STRING          *keyid, **pos;
    X509_ALGOR                 *dig, *sig;
    STACK_OF(X509)             *certs;
    CMS_SignerInfo             *si;
    CMS_ContentInfo            *cms, *inner;
    const unsigned char        *cp;
    STACK_OF(CMS_SignerInfo)   *sis;

    cp = msg->data;
    cms = d2i_CMS_ContentInfo(NULL, &cp, msg->len);

    if (cms == NULL || cp != msg->data + msg->len) {
        ERR_clear_error();
        CMS_ContentInfo_free(cms);
        return;
    }

    ber = 0;
    if (ber_tlv(msg->data, msg->len, 0, &ber) == msg->len) {
        strcpy(d->encoding, ber ? "ber" : "der");
    }

    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        OBJ_obj2txt(d->content_type, sizeof(d->content_type),
                    CMS_get0_type(cms), 0);
        CMS_ContentInfo_free(cms);
        return;
    }

    pos = CMS_get0_content(cms);

    if (pos == NULL || *pos == NULL) {
        strcpy(d->content, "none");

    } else if (ASN1_STRING_length(*pos) == 0) {
        strcpy(d->content, "empty");

    } else {
        cp = ASN1_STRING_get0_data(*pos);
        inner = d2i_CMS_ContentInfo(NULL, &cp, ASN1_STRING_length(*pos));
        strcpy(d->content,
               inner && OBJ_obj2nid(CMS_get0_type(inner)) == NID_pkcs7_enveloped
               ? "enveloped_data" : "data");
        CMS_ContentInfo_free(inner);
        ERR_clear_error();
    }

    certs = CMS_get1_certs(cms);
    d->certificates = sk_X509_num(certs);

    sis = CMS_get0_SignerInfos(cms);
    d->signers = sk_CMS_SignerInfo_num(sis);

    if (d->signers <= 0) {
        goto done;
    }

    si = sk_CMS_SignerInfo_value(sis, 0);

    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
    strcpy(d->digest, OBJ_nid2ln(OBJ_obj2nid(dig->algorithm)));

    keyid = NULL;
    CMS_SignerInfo_get0_signer_id(si, &keyid, NULL, NULL);
    strcpy(d->signer_id,
           keyid ? "subject_key_identifier" : "issuer_and_serial");

    for (i = 0; i < sk_X509_num(certs); i++) {
        x = sk_X509_value(certs, i);

        if (CMS_SignerInfo_cert_cmp(si, x) == 0) {
            name_rfc2253(d->signer_subject, sizeof(d->signer_subject),
                         X509_get_subject_name(x));
            break;
        }
    }

    if (attr_string(si, OID_MESSAGE_TYPE, d->type_code, sizeof(d->type_code))
        == 1)
    {
        name = code_lookup(msg_types, d->type_code);
        if (name) {
            strcpy(d->type, name);
        }
    }

    attr_string(si, OID_TRANSACTION_ID, d->transaction_id,
                sizeof(d->transaction_id));
    attr_octets(si, OID_SENDER_NONCE, d->sender_nonce,
                sizeof(d->sender_nonce));
    attr_octets(si, OID_RECIPIENT_NONCE, d->recipient_nonce,
                sizeof(d->recipient_nonce));

    if (attr_string(si, OID_PKI_STATUS, d->pki_status_code,
                    sizeof(d->pki_status_code)) == 1)
    {
        name = code_lookup(pki_statuses, d->pki_status_code);
        if (name) {
            strcpy(d->pki_status, name);
        }
    }

    if (attr_string(si, OID_FAIL_INFO, d->fail_info_code,
                    sizeof(d->fail_info_code)) == 1)
    {
        name = code_lookup(fail_infos, d->fail_info_code);
        if (name) {
            strcpy(d->fail_info, name);
        }
    }

    /* the signature with the certificate carried, as the module checks it */
    dcont = strcmp(d->content, "none") == 0 ? BIO_new_mem_buf("", 0) : NULL;
    n = CMS_verify(cms, NULL, NULL, dcont, NULL,
                   CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
    strcpy(d->signature, n == 1 ? "valid" : "invalid");
    BIO_free(dcont);
    ERR_clear_error();

done:

    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
}


static void
json_string(buf_t *b, const char *s, size_t len)
{
    size_t  i;

    buf_byte(b, '"');

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            buf_byte(b, '\\');
            buf_byte(b, s[i]);

        } else if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
        {
            buf_printf(b, "\\u%04x", (unsigned char) s[i]);

        } else {
            buf_byte(b, s[i]);
        }
    }

    buf_byte(b, '"');
}


static void
json_member(buf_t *b, const char *key, const char *value)
{
    if (value == NULL || value[0] == '\0') {
        return;
    }

    buf_printf(b, ",\n    \"%s\": ", key);
    json_string(b, value, strlen(value));
}


static void
json_write(const char *path)
{
    FILE      *f;
    buf_t      b;
    desc_t    *d;
    unsigned   i;

    memset(&b, 0, sizeof(buf_t));
    buf_printf(&b, "{");

    for (i = 0; i < nentries; i++) {
        d = &entries[i];

        buf_printf(&b, "%s\n  ", i ? "," : "");
        json_string(&b, d->name, strlen(d->name));
        buf_printf(&b, ": {\n    \"kind\": \"%s\"", d->kind);
        buf_printf(&b, ",\n    \"size\": %zu", d->size);
        json_member(&b, "encoding", d->encoding);
        json_member(&b, "content_type", d->content_type);
        json_member(&b, "type", d->type);
        json_member(&b, "type_code", d->type_code);
        json_member(&b, "transaction_id", d->transaction_id);
        json_member(&b, "sender_nonce", d->sender_nonce);
        json_member(&b, "recipient_nonce", d->recipient_nonce);
        json_member(&b, "pki_status", d->pki_status);
        json_member(&b, "pki_status_code", d->pki_status_code);
        json_member(&b, "fail_info", d->fail_info);
        json_member(&b, "fail_info_code", d->fail_info_code);
        json_member(&b, "digest", d->digest);
        json_member(&b, "signer_id", d->signer_id);
        json_member(&b, "signer_subject", d->signer_subject);
        json_member(&b, "signature", d->signature);

        if (d->signers >= 0) {
            buf_printf(&b, ",\n    \"signers\": %d", d->signers);
        }

        if (d->certificates >= 0) {
            buf_printf(&b, ",\n    \"certificates\": %d", d->certificates);
        }

        json_member(&b, "content", d->content);
        json_member(&b, "in_reply_to", d->in_reply_to);
        json_member(&b, "reject", d->reject);
        json_member(&b, "note", d->note);
        json_member(&b, "source", d->source);

        if (d->extra.len) {
            buf_add(&b, d->extra.data, d->extra.len);
        }

        buf_printf(&b, "\n  }");
    }

    buf_printf(&b, "\n}\n");

    f = fopen(path, "w");
    if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
        fail("cannot write %s", path);
    }

    buf_free(&b);
}


/* ------------------------------------------------------------------------ */
/* the fixtures */


static const char  *outdir;


static void
file_write(const char *name, const buf_t *b)
{
    FILE  *f;
    char   path[4096];

    snprintf(path, sizeof(path), "%s/%s", outdir, name);

    f = fopen(path, "wb");
    if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
    {
        fail("cannot write %s", path);
    }
}


static int
file_read(const char *name, buf_t *b)
{
    FILE    *f;
    size_t   n;
    char     path[4096], tmp[4096];

    snprintf(path, sizeof(path), "%s/%s", outdir, name);

    f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }

    memset(b, 0, sizeof(buf_t));

    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        buf_add(b, tmp, n);
    }

    fclose(f);

    return 1;
}


/*
 * Writes a fixture and its manifest entry.  want_type: the messageType it
 * must read back with (NULL: none readable); want_sig: "valid", "invalid"
 * or NULL when there is no signature to check.
 */

static desc_t *
fixture(const char *name, const buf_t *msg, const char *want_type,
    const char *want_sig, const char *reject, const char *note)
{
    desc_t  *d;

    file_write(name, msg);

    d = entry_new(name, "pkimessage", msg->len);
    describe_pkimsg(d, msg);

    if (reject) {
        snprintf(d->reject, sizeof(d->reject), "%s", reject);
    }

    d->note = note;

    if (strcmp(want_type ? want_type : "", d->type_code) != 0) {
        fail("%s: messageType reads back as \"%s\", not \"%s\"", name,
             d->type_code, want_type ? want_type : "");
    }

    if (strcmp(want_sig ? want_sig : "", d->signature) != 0) {
        fail("%s: signature reads back as \"%s\", not \"%s\"", name,
             d->signature, want_sig ? want_sig : "");
    }

    return d;
}


static void
cert_json(buf_t *b, X509 *x, const char *role)
{
    char             s[256];
    BIGNUM          *bn;
    struct tm        tm;
    const char      *key;
    const ASN1_TIME *t;
    char            *serial;
    int              i;

    buf_printf(b, "{ ");

    name_rfc2253(s, sizeof(s), X509_get_subject_name(x));
    buf_printf(b, "\"subject\": ");
    json_string(b, s, strlen(s));

    name_rfc2253(s, sizeof(s), X509_get_issuer_name(x));
    buf_printf(b, ", \"issuer\": ");
    json_string(b, s, strlen(s));

    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    serial = BN_bn2hex(bn);
    for (i = 0; serial[i]; i++) {
        serial[i] = (serial[i] >= 'A' && serial[i] <= 'F')
                    ? serial[i] - 'A' + 'a' : serial[i];
    }
    buf_printf(b, ", \"serial\": \"%s\"", serial);
    OPENSSL_free(serial);
    BN_free(bn);

    for (i = 0; i < 2; i++) {
        key = i ? "not_after" : "not_before";
        t = i ? X509_get0_notAfter(x) : X509_get0_notBefore(x);
        ASN1_TIME_to_tm(t, &tm);
        strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
        buf_printf(b, ", \"%s\": \"%s\"", key, s);
    }

    buf_printf(b, ", \"role\": \"%s\" }", role);
}


/*
 * The role a GetCACert decoder must give a certificate, read with OpenSSL's
 * own extension parsers: "ca" when basicConstraints says cA; "ra" when not
 * and the answer holds more than one certificate, or the certificate
 * carries the Microsoft template name CEPEncryption or
 * EnrollmentAgentOffline (1.3.6.1.4.1.311.20.2, a BMPString) or the
 * certificate request agent EKU (1.3.6.1.4.1.311.20.2.1).
 */

static const char *
cert_role(X509 *x, int count)
{
    int                   i, ra, len;
    char                  name[64];
    ASN1_OBJECT          *obj;
    ASN1_STRING          *str;
    unsigned char        *utf8;
    X509_EXTENSION       *ext;
    BASIC_CONSTRAINTS    *bc;
    EXTENDED_KEY_USAGE   *eku;
    const unsigned char  *p;

    bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    ra = bc && bc->ca;
    BASIC_CONSTRAINTS_free(bc);

    if (ra) {
        return "ca";
    }

    if (count > 1) {
        return "ra";
    }

    obj = OBJ_txt2obj("1.3.6.1.4.1.311.20.2", 1);
    i = X509_get_ext_by_OBJ(x, obj, -1);
    ASN1_OBJECT_free(obj);

    if (i >= 0) {
        ext = X509_get_ext(x, i);
        p = ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext));
        str = d2i_ASN1_BMPSTRING(NULL, &p,
                  ASN1_STRING_length(X509_EXTENSION_get_data(ext)));

        if (str) {
            len = ASN1_STRING_to_UTF8(&utf8, str);
            snprintf(name, sizeof(name), "%.*s", len > 0 ? len : 0,
                     len > 0 ? (char *) utf8 : "");
            if (len > 0) {
                OPENSSL_free(utf8);
            }

            ASN1_STRING_free(str);

            if (strcmp(name, "CEPEncryption") == 0
                || strcmp(name, "EnrollmentAgentOffline") == 0)
            {
                ra = 1;
            }
        }
    }

    eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    obj = OBJ_txt2obj("1.3.6.1.4.1.311.20.2.1", 1);

    for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), obj) == 0) {
            ra = 1;
        }
    }

    ASN1_OBJECT_free(obj);
    EXTENDED_KEY_USAGE_free(eku);
    ERR_clear_error();

    return ra ? "ra" : "other";
}


/* GetCACert: one certificate, or a degenerate PKCS#7 of CA and RA */

static void
describe_getcacert(desc_t *d, const buf_t *b)
{
    int                   i;
    X509                 *x;
    PKCS7                *p7;
    STACK_OF(X509)       *certs;
    const unsigned char  *p;

    certs = sk_X509_new_null();

    p = b->data;
    x = d2i_X509(NULL, &p, b->len);

    if (x && p == b->data + b->len) {
        strcpy(d->content_type, "application/x-x509-ca-cert");
        sk_X509_push(certs, x);

    } else {
        X509_free(x);
        p = b->data;
        p7 = d2i_PKCS7(NULL, &p, b->len);
        if (p7 == NULL || !PKCS7_type_is_signed(p7)) {
            fail("%s: neither a certificate nor PKCS#7", d->name);
        }

        strcpy(d->content_type, "application/x-x509-ca-ra-cert");

        for (i = 0; i < sk_X509_num(p7->d.sign->cert); i++) {
            x = sk_X509_value(p7->d.sign->cert, i);
            X509_up_ref(x);
            sk_X509_push(certs, x);
        }

        PKCS7_free(p7);
    }

    ERR_clear_error();

    d->certificates = sk_X509_num(certs);
    buf_printf(&d->extra, ",\n    \"certificate_list\": [");

    for (i = 0; i < sk_X509_num(certs); i++) {
        buf_printf(&d->extra, "%s\n      ", i ? "," : "");
        cert_json(&d->extra, sk_X509_value(certs, i),
                  cert_role(sk_X509_value(certs, i), sk_X509_num(certs)));
    }

    buf_printf(&d->extra, "\n    ]");
    sk_X509_pop_free(certs, X509_free);
}


/* GetCACaps: one capability a line */

static void
describe_getcacaps(desc_t *d, const buf_t *in)
{
    buf_t        b;
    char        *line, *end;
    const char  *sep;

    strcpy(d->content_type, "text/plain");

    memset(&b, 0, sizeof(buf_t));
    buf_add(&b, in->data, in->len);
    buf_byte(&b, '\0');
    buf_printf(&d->extra, ",\n    \"caps\": [");
    sep = "";

    for (line = (char *) b.data; *line; line = end) {
        end = line + strcspn(line, "\r\n");
        if (end > line) {
            buf_printf(&d->extra, "%s", sep);
            json_string(&d->extra, line, end - line);
            sep = ", ";
        }

        end += strspn(end, "\r\n");
    }

    buf_printf(&d->extra, "]");
    buf_free(&b);
}


/* the captures of t/lib/capture-scepclient, when OUTDIR holds them */

static void
describe_captures(void)
{
    int                   i;
    desc_t               *d;
    buf_t                 b;

    static const struct {
        const char  *name;
        const char  *type;
        const char  *source;
    } msgs[] = {
        { "scepclient-pkcsreq.der", "19",
          "micromdm scepclient (Debian package scep), PKIOperation POST body" },
        { "scepserver-certrep-success.der", "3",
          "micromdm scepserver (Debian package scep), PKIOperation answer" },
        { "scepserver-certrep-failure.der", "3",
          "micromdm scepserver, answer to an enrolment with a wrong"
          " challenge password" },
        { NULL, NULL, NULL }
    };

    for (i = 0; msgs[i].name; i++) {
        if (!file_read(msgs[i].name, &b)) {
            fprintf(stderr, "scep-gen: no %s/%s: run t/lib/capture-scepclient"
                    " to record it\n", outdir, msgs[i].name);
            continue;
        }

        d = entry_new(msgs[i].name, "pkimessage", b.len);
        describe_pkimsg(d, &b);
        d->source = msgs[i].source;

        if (strcmp(d->type_code, msgs[i].type) != 0
            || strcmp(d->signature, "valid") != 0)
        {
            fail("%s: not a valid message of type %s", msgs[i].name,
                 msgs[i].type);
        }

        /* what real servers do that the generated CertReps do not */
        if (d->recipient_nonce[0]
            && strcmp(d->sender_nonce, d->recipient_nonce) == 0)
        {
            d->note = strcmp(d->content, "empty") == 0
                      ? "scepserver repeats the request's senderNonce as its"
                        " own senderNonce; its content is an empty OCTET"
                        " STRING, not absent"
                      : "scepserver repeats the request's senderNonce as its"
                        " own senderNonce";
        }

        buf_free(&b);
    }

    if (file_read("scepserver-getcacert.der", &b)) {
        d = entry_new("scepserver-getcacert.der", "getcacert", b.len);
        d->source = "micromdm scepserver, GetCACert answer";
        describe_getcacert(d, &b);
        buf_free(&b);
    }

    if (file_read("scepserver-getcacaps.txt", &b)) {
        d = entry_new("scepserver-getcacaps.txt", "getcacaps", b.len);
        d->source = "micromdm scepserver, GetCACaps answer";
        describe_getcacaps(d, &b);
        buf_free(&b);
    }
}


/* a CertRep names the request it answers: recipientNonce = senderNonce */

static void
link_replies(void)
{
    unsigned  i, j;

    for (i = 0; i < nentries; i++) {
        if (entries[i].recipient_nonce[0] == '\0') {
            continue;
        }

        for (j = 0; j < nentries; j++) {
            if (strcmp(entries[j].type_code, "3") != 0
                && entries[j].reject[0] == '\0'
                && strcmp(entries[j].sender_nonce,
                          entries[i].recipient_nonce) == 0
                && strcmp(entries[j].transaction_id,
                          entries[i].transaction_id) == 0)
            {
                strcpy(entries[i].in_reply_to, entries[j].name);
                buf_printf(&entries[i].extra,
                           ",\n    \"recipient_nonce_matches\": true");
                break;
            }
        }
    }
}


static const char *const  ca_name[] = {
    "C", "US", "O", "ngx_scep fixtures", "CN", "Fixture Issuing CA", NULL
};

static const char *const  ra_name[] = {
    "C", "US", "O", "ngx_scep fixtures", "CN", "Fixture NDES RA", NULL
};

/* NDES names both of its RA certificates after the RA it was set up as */
static const char *const  ndes_ra_name[] = {
    "C", "US", "O", "ngx_scep fixtures", "CN", "NDES-MSCEP-RA", NULL
};

/* the self-signed certificate scepclient and most clients sign with */
static const char *const  signer_name[] = {
    "CN", "SCEP SIGNER", NULL
};

static const char *const  device_name[] = {
    "C", "US", "O", "scep-client", "OU", "MDM", "CN", "device", NULL
};

static const char *const  ec_device_name[] = {
    "C", "US", "O", "scep-client", "OU", "MDM", "CN", "device-p256", NULL
};

static const char *const  ios_name[] = {
    "O", "ngx_scep fixtures", "CN", "iPhone 00008030-001A2C3E0C38802E", NULL
};


static const char *const  ca_ext[] = {
    "basicConstraints", "critical,CA:TRUE",
    "keyUsage", "critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier", "hash",
    NULL
};

static const char *const  ra_ext[] = {
    "basicConstraints", "critical,CA:FALSE",
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

/*
 * The NDES RA certificates, from the v1 templates "Exchange Enrollment
 * Agent (Offline request)" and "CEP Encryption": no basicConstraints, the
 * template name in 1.3.6.1.4.1.311.20.2 as a BMPString.
 */
static const char *const  ndes_agent_ext[] = {
    "keyUsage", "critical,digitalSignature",
    "extendedKeyUsage", "1.3.6.1.4.1.311.20.2.1",
    "1.3.6.1.4.1.311.20.2", "ASN1:BMPSTRING:EnrollmentAgentOffline",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

static const char *const  ndes_cep_ext[] = {
    "keyUsage", "critical,keyEncipherment",
    "1.3.6.1.4.1.311.20.2", "ASN1:BMPSTRING:CEPEncryption",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

static const char *const  signer_ext[] = {
    "basicConstraints", "critical,CA:FALSE",
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage", "clientAuth",
    "subjectKeyIdentifier", "hash",
    NULL
};

static const char *const  device_ext[] = {
    "basicConstraints", "critical,CA:FALSE",
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage", "clientAuth",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

static const char *const  csr_ext[] = {
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage", "clientAuth",
    NULL
};

/* an MDM profile's request: more names make the ~6.5 KB iOS sends */
static const char *const  ios_csr_ext[] = {
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage", "clientAuth",
    "subjectAltName",
    "email:device-00008030-001A2C3E0C38802E@mdm.example.com,"
    "DNS:00008030-001A2C3E0C38802E.devices.mdm.example.com,"
    "URI:urn:uuid:5b0f3c2e-8e4f-4a55-9d43-0e6c1f2b7a91,"
    "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:00008030-001A2C3E0C38802E"
    "@corp.example.com",
    NULL
};


/* the signed attributes of a request: type, transactionID, senderNonce */

static void
request_attrs(sign_t *s, const char *type, const char *tid,
    const unsigned char *nonce)
{
    attr_str(s, OID_MESSAGE_TYPE, type);
    attr_str(s, OID_TRANSACTION_ID, tid);
    attr_add(s, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, NONCE_LEN);
}


/* the CertRep attributes, answering pkcsreq-sha256.der */

static void
certrep_attrs(sign_t *s, const char *tid, const unsigned char *nonce,
    const unsigned char *recipient_nonce, const char *status,
    const char *fail_info)
{
    attr_str(s, OID_MESSAGE_TYPE, "3");
    attr_str(s, OID_PKI_STATUS, status);

    if (fail_info) {
        attr_str(s, OID_FAIL_INFO, fail_info);
    }

    attr_str(s, OID_TRANSACTION_ID, tid);
    attr_add(s, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, NONCE_LEN);
    attr_add(s, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, recipient_nonce,
             NONCE_LEN);
}


/* everything the fixtures are made of */

typedef struct {
    EVP_PKEY                  *signer_key;
    EVP_PKEY                  *ca_key;
    EVP_PKEY                  *ra_key;
    EVP_PKEY                  *ios_key;
    EVP_PKEY                  *ec_key;
    EVP_PKEY                  *agent_key;

    X509                      *ca;
    X509                      *ra;
    X509                      *signer;       /* self-signed, signer_key */
    X509                      *device;       /* issued by ca, signer_key */
    X509                      *ec_signer;
    X509                      *ios_signer;   /* issued by ca */

    /* the pkcsPKIEnvelopes, made once: the variants share them */
    buf_t                      env_pkcsreq;
    buf_t                      env_renewal;
    buf_t                      env_ec;
    buf_t                      env_ios;
    buf_t                      env_certpoll;
    buf_t                      env_getcert;
    buf_t                      env_getcrl;
    buf_t                      env_certrep;

    char                       tid[41];      /* of signer_key */
    char                       tid_ec[41];
    char                       tid_ios[41];
    char                       tid_renewal[41];
    char                       tid_get[41];

    unsigned char              nonce[NONCE_LEN];  /* pkcsreq-sha256.der's */
    buf_t                      pkcsreq;           /* pkcsreq-sha256.der */
} gen_t;


static void
gen_pki(gen_t *g)
{
    g->signer_key = key_load(signer_key_pem);
    g->ca_key = key_load(ca_key_pem);
    g->ra_key = key_load(ra_key_pem);
    g->ios_key = key_load(ios_key_pem);
    g->ec_key = key_load(ec_key_pem);
    g->agent_key = key_load(agent_key_pem);

    g->ca = cert_make("ca", ca_name, g->ca_key, NULL, NULL, 1, ca_ext);
    g->ra = cert_make("ra", ra_name, g->ra_key, g->ca, g->ca_key, 2, ra_ext);
    g->signer = cert_make("signer", signer_name, g->signer_key, NULL, NULL,
                          0, signer_ext);
    g->device = cert_make("device", device_name, g->signer_key, g->ca,
                          g->ca_key, 0x1001, device_ext);
    g->ec_signer = cert_make("ec signer", signer_name, g->ec_key, NULL, NULL,
                             0, signer_ext);
    g->ios_signer = cert_make("ios signer", ios_name, g->ios_key, g->ca,
                              g->ca_key, 0x1002, device_ext);

    gen_transaction_id(g->tid, g->signer_key, NULL);
    gen_transaction_id(g->tid_ec, g->ec_key, NULL);
    gen_transaction_id(g->tid_ios, g->ios_key, NULL);
    gen_transaction_id(g->tid_renewal, NULL, "renewal");
    gen_transaction_id(g->tid_get, NULL, "getcert");

    gen_nonce(g->nonce, "pkcsreq-sha256.der");
}


static void
gen_envelopes(gen_t *g)
{
    buf_t          in;
    unsigned char  blob[IOS_CHALLENGE_LEN];
    char           challenge[IOS_CHALLENGE_LEN * 4 / 3 + 4];

    csr_make(&in, g->signer_key, device_name, CHALLENGE, csr_ext);
    envelope(&g->env_pkcsreq, "envelope pkcsreq", g->ra, &in);
    buf_free(&in);

    /* a renewal is authenticated by the old certificate, not a challenge */
    csr_make(&in, g->signer_key, device_name, NULL, csr_ext);
    envelope(&g->env_renewal, "envelope renewal", g->ra, &in);
    buf_free(&in);

    csr_make(&in, g->ec_key, ec_device_name, CHALLENGE, csr_ext);
    envelope(&g->env_ec, "envelope ecdsa", g->ra, &in);
    buf_free(&in);

    gen_reseed("ios challenge");
    gen_rand_bytes(blob, sizeof(blob));
    EVP_EncodeBlock((unsigned char *) challenge, blob, sizeof(blob));

    csr_make(&in, g->ios_key, ios_name, challenge, ios_csr_ext);
    envelope(&g->env_ios, "envelope ios", g->ra, &in);
    buf_free(&in);

    issuer_and_subject(&in, g->ca, device_name);
    envelope(&g->env_certpoll, "envelope certpoll", g->ra, &in);
    buf_free(&in);

    issuer_and_serial(&in, g->device);
    envelope(&g->env_getcert, "envelope getcert", g->ra, &in);
    envelope(&g->env_getcrl, "envelope getcrl", g->ra, &in);
    buf_free(&in);

    /* the issued certificate goes back encrypted to the request's signer */
    degenerate_p7(&in, g->device);
    envelope(&g->env_certrep, "envelope certrep", g->signer, &in);
    buf_free(&in);
}


/* signs s with a fresh senderNonce of its own, and writes it */

static void
gen_request(sign_t *s, const char *type, const char *tid, const char *note)
{
    buf_t          msg;
    unsigned char  nonce[NONCE_LEN];

    gen_nonce(nonce, s->name);
    request_attrs(s, type, tid, nonce);
    pki_sign(&msg, s);
    fixture(s->name, &msg, type, "valid", NULL, note);
    buf_free(&msg);
}


static void
gen_requests(gen_t *g)
{
    buf_t          msg, ber;
    sign_t         s, req;
    unsigned char  nonce[NONCE_LEN];

    memset(&req, 0, sizeof(sign_t));
    req.cert = g->signer;
    req.key = g->signer_key;
    req.md = EVP_sha256();
    req.content = &g->env_pkcsreq;

    s = req;
    s.name = "pkcsreq-sha256.der";
    request_attrs(&s, "19", g->tid, g->nonce);
    pki_sign(&g->pkcsreq, &s);
    fixture(s.name, &g->pkcsreq, "19", "valid", NULL,
            "PKCSReq as micromdm scepclient makes it: RSA-2048 self-signed"
            " signer, SHA-256, the CSR with a challengePassword encrypted"
            " to the RA");

    s = req;
    s.name = "pkcsreq-sha1.der";
    s.md = EVP_sha1();
    gen_request(&s, "19", g->tid, "PKCSReq, SHA-1 digest");

    s = req;
    s.name = "pkcsreq-sha512.der";
    s.md = EVP_sha512();
    gen_request(&s, "19", g->tid, "PKCSReq, SHA-512 digest");

    s = req;
    s.name = "pkcsreq-ski.der";
    s.keyid = 1;
    gen_request(&s, "19", g->tid,
                "PKCSReq whose SignerInfo (version 3) names the signer by"
                " subjectKeyIdentifier");

    s = req;
    s.name = "pkcsreq-ecdsa.der";
    s.cert = g->ec_signer;
    s.key = g->ec_key;
    s.content = &g->env_ec;
    gen_request(&s, "19", g->tid_ec,
                "PKCSReq signed with ECDSA P-256 and SHA-256");

    s = req;
    s.name = "renewalreq.der";
    s.cert = g->device;
    s.extra[0] = g->ca;
    s.content = &g->env_renewal;
    gen_request(&s, "17", g->tid_renewal,
                "RenewalReq signed with the device certificate the CA"
                " issued");

    s = req;
    s.name = "updatereq.der";
    s.cert = g->device;
    s.extra[0] = g->ca;
    s.content = &g->env_renewal;
    gen_request(&s, "18", g->tid_renewal,
                "UpdateReq signed with the device certificate the CA issued");

    s = req;
    s.name = "certpoll.der";
    s.content = &g->env_certpoll;
    gen_request(&s, "20", g->tid,
                "CertPoll (GetCertInitial) of the enrolment of"
                " pkcsreq-sha256.der: same transactionID, IssuerAndSubject");

    s = req;
    s.name = "getcert.der";
    s.cert = g->device;
    s.content = &g->env_getcert;
    gen_request(&s, "21", g->tid_get,
                "GetCert: IssuerAndSerialNumber of the device certificate");

    s = req;
    s.name = "getcrl.der";
    s.cert = g->device;
    s.content = &g->env_getcrl;
    gen_request(&s, "22", g->tid_get,
                "GetCRL: IssuerAndSerialNumber of the device certificate");

    /* iOS: SHA-512, a 4096-bit key, a chain of two, re-encoded as BER */

    s = req;
    s.name = "ios-pkcsreq-ber.der";
    s.cert = g->ios_signer;
    s.key = g->ios_key;
    s.extra[0] = g->ca;
    s.md = EVP_sha512();
    s.content = &g->env_ios;
    gen_nonce(nonce, s.name);
    request_attrs(&s, "19", g->tid_ios, nonce);
    pki_sign(&msg, &s);
    der_to_ber(&ber, &msg, BER_SEGMENT);
    fixture(s.name, &ber, "19", "valid", NULL,
            "PKCSReq re-encoded as iOS sends it: BER, indefinite lengths on"
            " the outer layers, the content a constructed OCTET STRING of"
            " segments; SHA-512, RSA-4096, a chain of two certificates, a"
            " long Intune-like challenge");
    buf_free(&msg);
    buf_free(&ber);
}


/* the answers to pkcsreq-sha256.der, signed by the RA */

static void
gen_responses(gen_t *g)
{
    buf_t          msg;
    desc_t        *d;
    sign_t         s, rep;
    unsigned char  nonce[NONCE_LEN], other[NONCE_LEN];

    memset(&rep, 0, sizeof(sign_t));
    rep.cert = g->ra;
    rep.key = g->ra_key;
    rep.extra[0] = g->ca;
    rep.md = EVP_sha256();

    s = rep;
    s.name = "certrep-success.der";
    s.content = &g->env_certrep;
    gen_nonce(nonce, s.name);
    certrep_attrs(&s, g->tid, nonce, g->nonce, "0", NULL);
    pki_sign(&msg, &s);
    fixture(s.name, &msg, "3", "valid", NULL,
            "CertRep SUCCESS: the issued certificate in a degenerate PKCS#7,"
            " encrypted to the requester's signer certificate");
    buf_free(&msg);

    s = rep;
    s.name = "certrep-failure-badrequest.der";
    gen_nonce(nonce, s.name);
    certrep_attrs(&s, g->tid, nonce, g->nonce, "2", "2");
    pki_sign(&msg, &s);
    fixture(s.name, &msg, "3", "valid", NULL,
            "CertRep FAILURE badRequest, without content (RFC 8894)");
    buf_free(&msg);

    s = rep;
    s.name = "certrep-pending.der";
    gen_nonce(nonce, s.name);
    certrep_attrs(&s, g->tid, nonce, g->nonce, "3", NULL);
    pki_sign(&msg, &s);
    fixture(s.name, &msg, "3", "valid", NULL,
            "CertRep PENDING, without content: the device will poll");
    buf_free(&msg);

    /* an answer to the transaction, but not to the request: replayed */
    s = rep;
    s.name = "certrep-nonce-mismatch.der";
    s.content = &g->env_certrep;
    gen_nonce(nonce, s.name);
    gen_nonce(other, "certrep-nonce-mismatch.der, recipientNonce");
    certrep_attrs(&s, g->tid, nonce, other, "0", NULL);
    pki_sign(&msg, &s);
    d = fixture(s.name, &msg, "3", "valid", NULL,
                "CertRep SUCCESS with the transactionID of"
                " pkcsreq-sha256.der but a recipientNonce that is not its"
                " senderNonce: a replayed or misrouted answer");
    strcpy(d->in_reply_to, "pkcsreq-sha256.der");
    buf_printf(&d->extra, ",\n    \"recipient_nonce_matches\": false");
    buf_free(&msg);
}


/*
 * pkcsreq-sha256.der with one defect in its signed attributes, signed by
 * OpenSSL as it is: the signature is valid, the decoder must reject the
 * message for what it says.
 */

typedef struct {
    const char                *name;
    const char                *reject;
    const char                *note;
    const char                *type;        /* NULL: no messageType */
    const char                *type2;       /* a second messageType */
    unsigned                   type_integer:1;
    unsigned                   no_transaction_id:1;
    size_t                     nonce_len;   /* 0: no senderNonce */
} bad_attrs_t;


static const bad_attrs_t  bad_attrs[] = {

    { "bad-no-message-type.der", "missing_message_type",
      "no messageType attribute; signature valid",
      NULL, NULL, 0, 0, NONCE_LEN },

    { "bad-no-transaction-id.der", "missing_transaction_id",
      "no transactionID attribute; signature valid",
      "19", NULL, 0, 1, NONCE_LEN },

    { "bad-no-sender-nonce.der", "missing_sender_nonce",
      "no senderNonce attribute; signature valid",
      "19", NULL, 0, 0, 0 },

    { "bad-nonce-15.der", "bad_sender_nonce",
      "senderNonce of 15 bytes; signature valid",
      "19", NULL, 0, 0, NONCE_LEN - 1 },

    { "bad-nonce-17.der", "bad_sender_nonce",
      "senderNonce of 17 bytes; signature valid",
      "19", NULL, 0, 0, NONCE_LEN + 1 },

    { "bad-message-type-99.der", "unknown_message_type",
      "messageType \"99\"; signature valid",
      "99", NULL, 0, 0, NONCE_LEN },

    { "bad-message-type-integer.der", "unknown_message_type",
      "messageType is INTEGER 19, not a PrintableString; signature valid",
      "19", NULL, 1, 0, NONCE_LEN },

    { "bad-duplicate-message-type.der", "unknown_message_type",
      "two messageType attributes, \"19\" and \"21\": which one a reader"
      " takes is ambiguous; signature valid",
      "19", "21", 0, 0, NONCE_LEN },

    { NULL, NULL, NULL, NULL, NULL, 0, 0, 0 }
};


static void
gen_bad_attrs(gen_t *g, const bad_attrs_t *b)
{
    buf_t          msg;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN + 1];

    static const unsigned char  type_integer[] = { 19 };

    memset(&s, 0, sizeof(sign_t));
    s.name = b->name;
    s.cert = g->signer;
    s.key = g->signer_key;
    s.md = EVP_sha256();
    s.content = &g->env_pkcsreq;

    if (b->type_integer) {
        attr_add(&s, OID_MESSAGE_TYPE, V_ASN1_INTEGER, type_integer,
                 sizeof(type_integer));

    } else if (b->type) {
        attr_str(&s, OID_MESSAGE_TYPE, b->type);
    }

    if (b->type2) {
        attr_str(&s, OID_MESSAGE_TYPE, b->type2);
    }

    if (!b->no_transaction_id) {
        attr_str(&s, OID_TRANSACTION_ID, g->tid);
    }

    /* the nonce of pkcsreq-sha256.der, cut or with a byte more */
    memcpy(nonce, g->nonce, NONCE_LEN);
    nonce[NONCE_LEN] = 0xa5;

    if (b->nonce_len) {
        attr_add(&s, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce,
                 b->nonce_len);
    }

    pki_sign(&msg, &s);
    fixture(b->name, &msg,
            b->type_integer || b->type2 ? NULL : b->type, "valid",
            b->reject, b->note);
    buf_free(&msg);
}


static void
gen_malformed(gen_t *g)
{
    buf_t           msg;
    desc_t         *d;
    unsigned        i;
    pkimsg_t        m;
    unsigned char   junk[1024];

    static const unsigned char  len_2g[] = { 0x84, 0x80, 0, 0, 0 };
    static const unsigned char  len_2e63[] = { 0x88, 0x80, 0, 0, 0, 0, 0, 0,
                                               0 };
    static const unsigned char  signed_data_oid[] = {
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
    };

    /* the outer layers */

    gen_reseed("not cms");
    gen_rand_bytes(junk, sizeof(junk));
    if (junk[0] == 0x30) {
        junk[0] = 0x5a;                /* not even a SEQUENCE */
    }

    memset(&msg, 0, sizeof(buf_t));
    buf_add(&msg, junk, sizeof(junk));
    fixture("bad-not-cms.der", &msg, NULL, NULL, "not_cms",
            "1024 random bytes");
    buf_free(&msg);

    cert_der(&msg, g->signer);
    fixture("bad-certificate.der", &msg, NULL, NULL, "not_cms",
            "a bare X.509 certificate (the signer's), not CMS");
    buf_free(&msg);

    fixture("bad-enveloped.der", &g->env_pkcsreq, NULL, NULL,
            "not_signed_data",
            "a ContentInfo of envelopedData (the pkcsPKIEnvelope of"
            " pkcsreq-sha256.der) instead of signedData");

    pkimsg_parse(&m, &g->pkcsreq);
    der_free(m.signer_infos->child);
    m.signer_infos->child = NULL;
    pkimsg_write(&msg, &m);
    fixture("bad-no-signer.der", &msg, NULL, NULL, "no_signer",
            "signerInfos is an empty SET");
    buf_free(&msg);

    for (i = 0; bad_attrs[i].name; i++) {
        gen_bad_attrs(g, &bad_attrs[i]);
    }

    /* the signature and the content it covers */

    pkimsg_parse(&m, &g->pkcsreq);
    m.signature->data[m.signature->len / 2] ^= 0x01;
    pkimsg_write(&msg, &m);
    fixture("bad-signature.der", &msg, "19", "invalid", "signature_invalid",
            "one bit of the signature flipped");
    buf_free(&msg);

    pkimsg_parse(&m, &g->pkcsreq);
    m.econtent->data[m.econtent->len - 1] ^= 0x01;
    pkimsg_write(&msg, &m);
    fixture("bad-digest.der", &msg, "19", "invalid", "signature_invalid",
            "last byte of the encapsulated content changed: the"
            " messageDigest attribute no longer matches it; the signature"
            " over the attributes is intact");
    buf_free(&msg);

    /* lengths a decoder must not believe, nor add to a pointer */

    pkimsg_parse(&m, &g->pkcsreq);
    m.econtent->length = len_2g;
    m.econtent->length_len = sizeof(len_2g);
    pkimsg_write(&msg, &m);
    fixture("bad-length-2g.der", &msg, NULL, NULL, "truncated",
            "the encapsulated OCTET STRING declares 2^31 bytes (84 80 00 00"
            " 00); every enclosing length is consistent with the bytes");
    buf_free(&msg);

    pkimsg_parse(&m, &g->pkcsreq);
    m.root->length = len_2e63;
    m.root->length_len = sizeof(len_2e63);
    pkimsg_write(&msg, &m);
    fixture("bad-length-2e63.der", &msg, NULL, NULL, "truncated",
            "the outer ContentInfo declares 2^63 bytes"
            " (88 80 00 00 00 00 00 00 00)");
    buf_free(&msg);

    /*
     * Depth: ContentInfo { signedData, [0] { 9 998 nested SEQUENCEs } },
     * all of indefinite length, so that finding where anything ends means
     * walking down all of them.
     */

    memset(&msg, 0, sizeof(buf_t));
    buf_add(&msg, "\x30\x80", 2);
    buf_add(&msg, signed_data_oid, sizeof(signed_data_oid));
    buf_add(&msg, "\xa0\x80", 2);

    for (i = 2; i < DEEP_LEVELS; i++) {
        buf_add(&msg, "\x30\x80", 2);
    }

    for (i = 0; i < DEEP_LEVELS; i++) {
        buf_add(&msg, "\0\0", 2);
    }

    d = fixture("bad-deep.der", &msg, NULL, NULL, "not_cms",
                "10 000 nested constructed tags of indefinite length: a"
                " ContentInfo of signedData whose content is 9 998 nested"
                " SEQUENCEs");
    strcpy(d->encoding, "ber");
    buf_free(&msg);
}


/* ------------------------------------------------------------------------ */
/*
 * Signer keys the module does not verify (signer_key_unsupported): what
 * verifying them would cost is the sender's choice.  A public key needs
 * no private one to be put in a certificate, so the RSA, DSA and Ed25519
 * ones are seeded random numbers, in a certificate the CA issues with the
 * serial of a carrier certificate of the signer's key: the message is
 * signed with the carrier, which is then swapped for the hostile
 * certificate, and an RSA signature is replaced by as many random bytes
 * as the modulus has, below it, so that a verification runs the whole
 * public-key operation before it fails.  The EC keys are real and their
 * signatures valid.
 */


typedef struct {
    const char                *name;
    const char                *note;
    const char                *reject;
    const char                *sig;         /* what OpenSSL says of it */
    const char                *sig_oid;     /* NULL: the carrier's */
    unsigned                   ber_attrs:1; /* a long-form length in the
                                               signed attributes */

    const char                *type;        /* the key: RSA, EC, ... */
    int                        bits;        /* RSA: the modulus */
    int                        ebits;       /* RSA: a random exponent */
    unsigned long              e;           /* RSA: else this one */
    const char                *curve;       /* EC */
    unsigned                   explicit:1;  /* EC: not by name */
} hostile_t;


static void
bn_random(BIGNUM **bn, const char *label, int bits, unsigned char top)
{
    unsigned char  buf[2048];

    if (bits / 8 > (int) sizeof(buf)) {
        fail("bn_random: %d bits", bits);
    }

    gen_reseed(label);
    gen_rand_bytes(buf, bits / 8);

    /* the top bits as asked, odd */
    buf[0] = top | (buf[0] & 0x3f);
    buf[bits / 8 - 1] |= 1;

    *bn = BN_bin2bn(buf, bits / 8, NULL);
}


/* a public key from its parameters, as OpenSSL would read it */

static EVP_PKEY *
pub_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY      *key;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    key = NULL;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        fail("EVP_PKEY_fromdata %s", type);
    }

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);

    return key;
}


/*
 * An RSA public key of a random modulus of bits bits, and a random
 * exponent of ebits bits, or e_word when ebits is 0; an exponent as long
 * as the modulus stays below it.
 */

static EVP_PKEY *
rsa_public(const char *label, int bits, int ebits, unsigned long e_word)
{
    char            name[128];
    BIGNUM         *n, *e;
    EVP_PKEY       *key;
    OSSL_PARAM_BLD *bld;

    snprintf(name, sizeof(name), "%s modulus", label);
    bn_random(&n, name, bits, 0xc0);

    if (ebits) {
        snprintf(name, sizeof(name), "%s exponent", label);
        bn_random(&e, name, ebits, 0x80);

    } else {
        e = BN_new();
        BN_set_word(e, e_word);
    }

    bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    key = pub_fromdata("RSA", bld);

    BN_free(n);
    BN_free(e);

    return key;
}


/* a DSA public key of random numbers: p of 2048 bits, q of 256 */

static EVP_PKEY *
dsa_public(const char *label)
{
    char            name[128];
    BIGNUM         *p, *q, *g, *y;
    EVP_PKEY       *key;
    OSSL_PARAM_BLD *bld;

    snprintf(name, sizeof(name), "%s p", label);
    bn_random(&p, name, 2048, 0xc0);
    snprintf(name, sizeof(name), "%s q", label);
    bn_random(&q, name, 256, 0xc0);
    snprintf(name, sizeof(name), "%s g", label);
    bn_random(&g, name, 2048, 0x40);
    snprintf(name, sizeof(name), "%s y", label);
    bn_random(&y, name, 2048, 0x40);

    bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, q);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y);
    key = pub_fromdata("DSA", bld);

    BN_free(p);
    BN_free(q);
    BN_free(g);
    BN_free(y);

    return key;
}


static EVP_PKEY *
key_generate(const char *label, const char *type, const char *curve,
    int explicit)
{
    EVP_PKEY      *key;
    EVP_PKEY_CTX  *ctx;

    gen_reseed(label);

    key = NULL;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1
        || (curve && EVP_PKEY_CTX_set_group_name(ctx, curve) != 1)
        || EVP_PKEY_keygen(ctx, &key) != 1)
    {
        fail("keygen %s %s", type, curve ? curve : "");
    }

    EVP_PKEY_CTX_free(ctx);

    /* the curve's parameters written out instead of its name */

    if (explicit
        && !EVP_PKEY_set_utf8_string_param(key,
                                           OSSL_PKEY_PARAM_EC_ENCODING,
                                           OSSL_PKEY_EC_ENCODING_EXPLICIT))
    {
        fail("explicit parameters %s", curve);
    }

    return key;
}


static void
gen_hostile(gen_t *g, const hostile_t *h, EVP_PKEY *pub, EVP_PKEY *priv,
    unsigned long serial)
{
    size_t          n;
    buf_t           msg, der;
    X509           *cert, *carrier;
    sign_t          s;
    pkimsg_t        m;
    der_node_t     *k, *alg, *attrs;
    ASN1_OBJECT    *obj;
    unsigned char   nonce[NONCE_LEN];
    char            label[128], cn[64];
    const char     *subject[] = { "CN", cn, NULL };

    static unsigned char  length[3];

    /* the subject names the file */
    snprintf(cn, sizeof(cn), "%.*s", (int) strcspn(h->name, "."), h->name);

    cert = cert_make(h->name, subject, pub, g->ca, g->ca_key, serial,
                     device_ext);

    memset(&s, 0, sizeof(sign_t));
    s.name = h->name;
    s.md = EVP_sha256();
    s.content = &g->env_pkcsreq;

    if (priv) {
        s.cert = cert;
        s.key = priv;
        carrier = NULL;

    } else {
        snprintf(label, sizeof(label), "%s carrier", h->name);
        carrier = cert_make(label, subject, g->signer_key, g->ca, g->ca_key,
                            serial, device_ext);
        s.cert = carrier;
        s.key = g->signer_key;
    }

    gen_nonce(nonce, h->name);
    request_attrs(&s, "19", g->tid, nonce);
    pki_sign(&msg, &s);

    pkimsg_parse(&m, &msg);
    buf_free(&msg);

    if (carrier) {
        cert_der(&der, cert);
        der_free(m.certificates->child);
        m.certificates->child = der_parse(der.data, der.len);
        buf_free(&der);
        X509_free(carrier);
    }

    alg = NULL;
    attrs = NULL;

    for (k = m.signer_info->child; k && k != m.signature; k = k->next) {
        if (k->tag == 0xa0) {
            attrs = k;
        }

        alg = k;
    }

    if (carrier && EVP_PKEY_is_a(pub, "RSA")) {
        n = EVP_PKEY_get_size(pub);
        free(m.signature->data);
        m.signature->data = xalloc(n);
        m.signature->len = n;

        snprintf(label, sizeof(label), "%s signature", h->name);
        gen_reseed(label);
        gen_rand_bytes(m.signature->data, n);
        m.signature->data[0] &= 0x3f;
    }

    if (h->sig_oid) {
        obj = OBJ_txt2obj(h->sig_oid, 1);
        der_free(alg->child);
        alg->child = xalloc(sizeof(der_node_t));
        alg->child->tag = 0x06;
        alg->child->len = OBJ_length(obj);
        alg->child->data = xalloc(alg->child->len);
        memcpy(alg->child->data, OBJ_get0_data(obj), alg->child->len);
        ASN1_OBJECT_free(obj);
    }

    if (h->ber_attrs) {
        /* the first attribute's length in three octets, not one */
        memset(&der, 0, sizeof(buf_t));
        der_write(&der, attrs->child);

        if (der.len < 2 || der.data[1] >= 0x80) {
            fail("%s: the first signed attribute is long", h->name);
        }

        length[0] = 0x82;
        length[1] = 0;
        length[2] = der.data[1];
        attrs->child->length = length;
        attrs->child->length_len = sizeof(length);
        buf_free(&der);
    }

    pkimsg_write(&msg, &m);
    fixture(h->name, &msg, "19", h->sig, h->reject, h->note);
    buf_free(&msg);

    X509_free(cert);
}


static const hostile_t  hostile_keys[] = {

    { "key-rsa-e3072.der",
      "RSA-3072 signer key whose public exponent is 3072 bits long (below"
      " the modulus; OpenSSL allows it up to 3072-bit moduli): a"
      " verification costs a hundred times a real one; the signature"
      " random bytes",
      "signer_key_unsupported", "invalid", NULL, 0,
      "RSA", 3072, 3072, 0, NULL, 0 },

    { "key-rsa-e3072-ber.der",
      "as key-rsa-e3072.der, with a long-form length in the signed"
      " attributes: their DER re-encoding differs, so a failed check would"
      " be made twice",
      "signer_key_unsupported", "invalid", NULL, 1,
      "RSA", 3072, 3072, 0, NULL, 0 },

    { "key-rsa-8192-e64.der",
      "RSA-8192 signer key with a 64-bit public exponent, the largest"
      " OpenSSL verifies with such a modulus; the signature random bytes",
      "signer_key_unsupported", "invalid", NULL, 0,
      "RSA", 8192, 64, 0, NULL, 0 },

    { "key-rsa-16384.der",
      "RSA-16384 signer key, exponent 65537: OpenSSL's largest modulus;"
      " the signature random bytes",
      "signer_key_unsupported", "invalid", NULL, 0,
      "RSA", 16384, 0, 65537, NULL, 0 },

    { "key-rsa-1024.der",
      "RSA-1024 signer key, exponent 65537: below 2048 bits",
      "signer_key_unsupported", "invalid", NULL, 0,
      "RSA", 1024, 0, 65537, NULL, 0 },

    { "key-rsa-e-even.der",
      "RSA-2048 signer key with the even public exponent 65536",
      "signer_key_unsupported", "invalid", NULL, 0,
      "RSA", 2048, 0, 65536, NULL, 0 },

    { "key-ec-sect571r1.der",
      "ECDSA signer key on sect571r1, a named binary curve, not P-256,"
      " P-384 or P-521; the signature valid",
      "signer_key_unsupported", "valid", NULL, 0,
      "EC", 0, 0, 0, "sect571r1", 0 },

    { "key-ec-explicit.der",
      "ECDSA signer key on P-256 given by explicit parameters, not by"
      " name; the signature valid",
      "signer_key_unsupported", "valid", NULL, 0,
      "EC", 0, 0, 0, "P-256", 1 },

    { "key-ed25519.der",
      "Ed25519 signer key, signature algorithm Ed25519 (the signature"
      " bytes RSA's)",
      "signer_key_unsupported", "invalid", "1.3.101.112", 0,
      "ED25519", 0, 0, 0, NULL, 0 },

    { "key-dsa.der",
      "DSA signer key of 2048 bits, signature algorithm dsa-with-SHA256"
      " (the signature bytes RSA's)",
      "signer_key_unsupported", "invalid", "2.16.840.1.101.3.4.3.2", 0,
      "DSA", 0, 0, 0, NULL, 0 },

    { "limit-rsa-8192-e32-ber.der",
      "the costliest key the module verifies: RSA-8192 with the exponent"
      " 2^32 - 1, and a long-form length in the signed attributes so that"
      " the failed check is made twice; the signature random bytes",
      "signature_invalid", "invalid", NULL, 1,
      "RSA", 8192, 0, 0xffffffffUL, NULL, 0 },

    { "limit-ec-p384-ber.der",
      "ECDSA P-384, the costliest curve the module verifies, with a"
      " long-form length in the signed attributes: the check over them as"
      " sent fails, the one over their DER re-encoding passes; the"
      " signature valid",
      NULL, "valid", NULL, 1,
      "EC", 0, 0, 0, "P-384", 0 },

    { NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, 0, 0, NULL, 0 }
};


static void
gen_signer_keys(gen_t *g)
{
    unsigned          i;
    EVP_PKEY         *pub, *priv;
    const hostile_t  *h;

    for (i = 0; hostile_keys[i].name; i++) {
        h = &hostile_keys[i];
        priv = NULL;

        if (strcmp(h->type, "RSA") == 0) {
            pub = rsa_public(h->name, h->bits, h->ebits, h->e);

        } else if (strcmp(h->type, "DSA") == 0) {
            pub = dsa_public(h->name);

        } else if (strcmp(h->type, "EC") == 0) {
            priv = key_generate(h->name, "EC", h->curve, h->explicit);
            pub = priv;

        } else {
            pub = key_generate(h->name, h->type, NULL, 0);
        }

        gen_hostile(g, h, pub, priv, 0x4001 + i);

        EVP_PKEY_free(pub);
    }
}


/*
 * pkcsreq-sha256.der with as many more signed attributes as the decoder
 * reads (it stops at 8192 TLVs), or with one more holding thousands of
 * values (which the decoder does not read): when the check over them
 * fails, what re-encoding them as DER costs is the sender's choice too.
 */

#define MANY_ATTRS   1900
#define MANY_VALUES  7000


/* where a signed attribute appended to pkcsreq-sha256.der goes */

static der_node_t **
attrs_tail(gen_t *g, pkimsg_t *m)
{
    der_node_t  *k, *attrs, **tail;

    pkimsg_parse(m, &g->pkcsreq);

    attrs = NULL;

    for (k = m->signer_info->child; k; k = k->next) {
        if (k->tag == 0xa0) {
            attrs = k;
        }
    }

    for (tail = &attrs->child; *tail; tail = &(*tail)->next) { /* void */ }

    return tail;
}


/* an unknown attribute, 1.3.6.1.4.127, of the values given */

static der_node_t *
attr_node(const buf_t *values)
{
    buf_t        set, attr;
    der_node_t  *n;

    static const unsigned char  oid[] = {
        0x06, 0x05, 0x2b, 0x06, 0x01, 0x04, 0x7f
    };

    memset(&set, 0, sizeof(buf_t));
    buf_byte(&set, 0x31);
    der_put_length(&set, values->len);
    buf_add(&set, values->data, values->len);

    memset(&attr, 0, sizeof(buf_t));
    buf_byte(&attr, 0x30);
    der_put_length(&attr, sizeof(oid) + set.len);
    buf_add(&attr, oid, sizeof(oid));
    buf_add(&attr, set.data, set.len);

    n = der_parse(attr.data, attr.len);

    buf_free(&set);
    buf_free(&attr);

    return n;
}


static void
gen_many_attrs(gen_t *g)
{
    buf_t         msg, values;
    unsigned      i;
    pkimsg_t      m;
    der_node_t  **tail;
    char          value[16];

    tail = attrs_tail(g, &m);

    for (i = 0; i < MANY_ATTRS; i++) {
        snprintf(value, sizeof(value), "x%05u", i);

        memset(&values, 0, sizeof(buf_t));
        buf_byte(&values, 0x13);
        buf_byte(&values, (unsigned char) strlen(value));
        buf_add(&values, value, strlen(value));

        *tail = attr_node(&values);
        tail = &(*tail)->next;
        buf_free(&values);
    }

    pkimsg_write(&msg, &m);
    fixture("limit-many-attrs.der", &msg, "19", "invalid", "signature_invalid",
            "pkcsreq-sha256.der with 1900 more signed attributes (an unknown"
            " OID, a PrintableString each), as many as the decoder reads:"
            " the signature no longer verifies, and their DER re-encoding"
            " would cost a thousand times that of real ones");
    buf_free(&msg);

    tail = attrs_tail(g, &m);

    memset(&values, 0, sizeof(buf_t));

    for (i = 0; i < MANY_VALUES; i++) {
        buf_add(&values, "\x05\x00", 2);
    }

    *tail = attr_node(&values);
    buf_free(&values);

    pkimsg_write(&msg, &m);
    fixture("limit-many-values.der", &msg, "19", "invalid",
            "signature_invalid",
            "pkcsreq-sha256.der with one more signed attribute (an unknown"
            " OID) of 7000 NULL values: the signature no longer verifies,"
            " and re-encoding the attribute as DER (its SET sorted) would"
            " cost a thousand times that of real ones");
    buf_free(&msg);
}


/*
 * The two NDES RA certificates, valid from not_before to not_after, and a
 * CA/RA answer of the CA and them; serial: of the first, the second's + 1.
 */

static void
ndes_answer(gen_t *g, buf_t *out, const char *label, unsigned long serial,
    const char *not_before, const char *not_after)
{
    X509  *x[3];
    char   name[128];

    x[0] = g->ca;

    snprintf(name, sizeof(name), "%s agent", label);
    x[1] = cert_make_dated(name, ndes_ra_name, g->agent_key, g->ca,
                           g->ca_key, serial, ndes_agent_ext, not_before,
                           not_after);

    snprintf(name, sizeof(name), "%s cep", label);
    x[2] = cert_make_dated(name, ndes_ra_name, g->ra_key, g->ca, g->ca_key,
                           serial + 1, ndes_cep_ext, not_before, not_after);

    degenerate_p7_certs(out, x, 3);

    X509_free(x[1]);
    X509_free(x[2]);
}


static void
getcacert_fixture(const char *name, const buf_t *b, const char *note)
{
    desc_t  *d;

    file_write(name, b);

    d = entry_new(name, "getcacert", b->len);
    d->note = note;
    describe_getcacert(d, b);
}


/* GetCACert and GetCACaps answers as NDES gives them */

static void
gen_ca_answers(gen_t *g)
{
    buf_t  b;

    static const char  ndes_caps[] =
        "POSTPKIOperation\r\nRenewal\r\nSHA-512\r\nSHA-256\r\nSHA-1\r\n"
        "DES3\r\n";

    cert_der(&b, g->ca);
    getcacert_fixture("getcacert-ca.der", &b,
                      "GetCACert answer of a CA alone"
                      " (application/x-x509-ca-cert)");
    buf_free(&b);

    ndes_answer(g, &b, "ndes", 0x3001, NOT_BEFORE, NOT_AFTER);
    getcacert_fixture("getcacert-ca-ra.der", &b,
                      "GetCACert answer of NDES (application/x-x509-ca-ra-"
                      "cert): the CA, the Exchange Enrollment Agent (Offline"
                      " request) and the CEP Encryption certificates");
    buf_free(&b);

    ndes_answer(g, &b, "ndes expired", 0x3003, "20220101000000Z",
                "20240630235959Z");
    getcacert_fixture("getcacert-ra-expired.der", &b,
                      "the NDES answer with both RA certificates expired"
                      " (notAfter 2024-06-30): NDES then answers 500");
    buf_free(&b);

    memset(&b, 0, sizeof(buf_t));
    buf_add(&b, ndes_caps, sizeof(ndes_caps) - 1);
    file_write("getcacaps-ndes.txt", &b);
    describe_getcacaps(entry_new("getcacaps-ndes.txt", "getcacaps", b.len),
                       &b);
    entries[nentries - 1].note = "GetCACaps answer of NDES on Windows Server"
                                 " 2016 and later, CRLF as IIS sends it";
    buf_free(&b);
}


/*
 * scep-gen --expiring-in DAYS OUT.der: the NDES answer with RA
 * certificates that expire DAYS days from now (negative: expired), valid
 * since 30 days before now.  Not a committed fixture: it depends on the
 * day it is made.  Prints the manifest entry of the file on stdout.
 */

static int
gen_expiring(const char *days_arg, const char *path)
{
    long       days;
    char      *end, nb[32], na[32];
    time_t     now, t;
    buf_t      b;
    gen_t      g;
    desc_t    *d;
    FILE      *f;
    struct tm  tm;

    days = strtol(days_arg, &end, 10);
    if (*days_arg == '\0' || *end != '\0' || days < -3650 || days > 36500) {
        fprintf(stderr, "scep-gen: --expiring-in: a number of days\n");
        return 2;
    }

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);

    now = time(NULL);

    t = now - 30 * 86400;
    gmtime_r(&t, &tm);
    strftime(nb, sizeof(nb), "%Y%m%d%H%M%SZ", &tm);

    t = now + days * 86400;
    gmtime_r(&t, &tm);
    strftime(na, sizeof(na), "%Y%m%d%H%M%SZ", &tm);

    ndes_answer(&g, &b, "ndes expiring", 0x3005, nb, na);

    f = fopen(path, "wb");
    if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
        fail("cannot write %s", path);
    }

    d = entry_new(path, "getcacert", b.len);
    describe_getcacert(d, &b);

    printf("{\"kind\": \"getcacert\", \"size\": %zu, \"expiring_in_days\":"
           " %ld%.*s}\n", b.len, days, (int) d->extra.len,
           (char *) d->extra.data);

    buf_free(&b);

    return 0;
}


/*
 * scep-gen --bounds OUTDIR: the messages and answers of t/082-bounds.t,
 * made when the test runs, not committed fixtures: transactionIDs at and
 * over the limit, in every string tag; a PKCSReq whose senderNonce is
 * empty and a CertRep without recipientNonce; the most hostile PKCSReq
 * (a transactionID of 60 000 bytes to escape, a signer whose subject is
 * all escapes) and a GetCACert answer of 20 such certificates.
 */

static void
bounds_request(gen_t *g, const char *name, X509 *cert, int tid_type,
    const char *tid, size_t tid_len, size_t nonce_len)
{
    buf_t          msg;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN];

    memset(&s, 0, sizeof(sign_t));
    s.name = name;
    s.cert = cert;
    s.key = g->signer_key;
    s.md = EVP_sha256();
    s.content = &g->env_pkcsreq;

    gen_nonce(nonce, name);

    attr_str(&s, OID_MESSAGE_TYPE, "19");
    attr_add(&s, OID_TRANSACTION_ID, tid_type, tid, tid_len);
    attr_add(&s, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, nonce_len);

    pki_sign(&msg, &s);
    file_write(name, &msg);
    buf_free(&msg);
}


static int
gen_bounds(const char *dir)
{
    int             i, j;
    char           *huge, tid[256], label[64];
    X509           *x[20], *hostile;
    buf_t           b, in;
    gen_t           g;
    sign_t          s;
    unsigned char   nonce[NONCE_LEN];
    char            value[8][65];
    const char     *rdn[2 * 8 + 1];

    outdir = dir;

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);

    csr_make(&in, g.signer_key, device_name, CHALLENGE, csr_ext);
    envelope(&g.env_pkcsreq, "envelope pkcsreq", g.ra, &in);
    buf_free(&in);

    /* 128 bytes pass, 129 do not */

    for (i = 0; i < 129; i++) {
        tid[i] = "0123456789ABCDEF"[i % 16];
    }

    bounds_request(&g, "tid-128.der", g.signer, V_ASN1_PRINTABLESTRING,
                   tid, 128, NONCE_LEN);
    bounds_request(&g, "tid-129.der", g.signer, V_ASN1_PRINTABLESTRING,
                   tid, 129, NONCE_LEN);

    /* every PrintableString character, in each string tag a client uses */

    strcpy(tid, "AZaz09 '()+,-./:=?");
    bounds_request(&g, "tid-printable-all.der", g.signer,
                   V_ASN1_PRINTABLESTRING, tid, strlen(tid), NONCE_LEN);
    bounds_request(&g, "tid-utf8-printable.der", g.signer,
                   V_ASN1_UTF8STRING, "SSCEP transactionId", 19, NONCE_LEN);
    bounds_request(&g, "tid-ia5-printable.der", g.signer, V_ASN1_IA5STRING,
                   "4llKsA9qBJJmv+APN8N1u3EsMlw=", 28, NONCE_LEN);

    /* and what is not PrintableString, whatever the tag claims */

    bounds_request(&g, "tid-printable-underscore.der", g.signer,
                   V_ASN1_PRINTABLESTRING, "4llKsA9qBJJmv_APN8N1u3EsMlw", 27,
                   NONCE_LEN);
    bounds_request(&g, "tid-utf8-accent.der", g.signer, V_ASN1_UTF8STRING,
                   "caf\xc3\xa9-0001", 10, NONCE_LEN);
    bounds_request(&g, "tid-ia5-at.der", g.signer, V_ASN1_IA5STRING,
                   "device@example.com", 18, NONCE_LEN);
    bounds_request(&g, "tid-utf8-newline.der", g.signer, V_ASN1_UTF8STRING,
                   "1234\n\"x\":1", 10, NONCE_LEN);

    /* a senderNonce of no bytes, and a CertRep without recipientNonce */

    bounds_request(&g, "empty-nonce.der", g.signer, V_ASN1_PRINTABLESTRING,
                   g.tid, strlen(g.tid), 0);

    memset(&s, 0, sizeof(sign_t));
    s.name = "certrep-no-recipient-nonce.der";
    s.cert = g.ra;
    s.key = g.ra_key;
    s.extra[0] = g.ca;
    s.md = EVP_sha256();
    gen_nonce(nonce, s.name);
    attr_str(&s, OID_MESSAGE_TYPE, "3");
    attr_str(&s, OID_PKI_STATUS, "3");
    attr_str(&s, OID_TRANSACTION_ID, g.tid);
    attr_add(&s, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, NONCE_LEN);
    pki_sign(&b, &s);
    file_write(s.name, &b);
    buf_free(&b);

    /*
     * A Name of 8 OUs of 64 characters that RFC 2253 escapes ('"', '\\',
     * ',', a Latin-1 letter: \C3\A9), then JSON again.
     */

    for (i = 0; i < 8; i++) {
        for (j = 0; j < 64; j++) {
            value[i][j] = "\"\\,\xe9"[(i + j) % 4];
        }

        value[i][64] = '\0';
        rdn[2 * i] = "OU";
        rdn[2 * i + 1] = value[i];
    }

    rdn[16] = NULL;

    hostile = cert_make("hostile signer", rdn, g.signer_key, NULL, NULL, 0,
                        signer_ext);

    /* 60 000 bytes of what costs most: control bytes, quotes, not UTF-8 */

    huge = xalloc(60000);

    for (i = 0; i < 60000; i++) {
        huge[i] = "\x01\"\\\xff"[i % 4];
    }

    bounds_request(&g, "hostile.der", hostile, V_ASN1_UTF8STRING, huge,
                   60000, NONCE_LEN);
    free(huge);

    for (i = 0; i < 20; i++) {
        snprintf(label, sizeof(label), "hostile ca %d", i);
        x[i] = cert_make(label, rdn, g.ca_key, NULL, NULL, 0, ca_ext);
    }

    degenerate_p7_certs(&b, x, 20);
    file_write("getcacert-hostile.der", &b);
    buf_free(&b);

    for (i = 0; i < 20; i++) {
        X509_free(x[i]);
    }

    X509_free(hostile);

    return 0;
}


/*
 * scep-gen --nonces N OUTDIR: the messages of t/042-replays.t, made when
 * the test runs: N PKCSReqs nonce-000.der ... each with a senderNonce and
 * a transactionID of its own, and nonce-000-ber.der, nonce-000.der
 * re-encoded as BER: the same signed attributes (the signature still
 * verifies), the same senderNonce, other bytes.
 */

static int
gen_nonces(const char *count, const char *dir)
{
    int            i, n;
    char           name[32], tid[41];
    buf_t          msg, ber;
    gen_t          g;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN];

    n = atoi(count);

    if (n < 1 || n > 999) {
        fail("--nonces: a count from 1 to 999");
    }

    outdir = dir;

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);
    gen_envelopes(&g);

    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "nonce-%03d.der", i);

        memset(&s, 0, sizeof(sign_t));
        s.name = name;
        s.cert = g.signer;
        s.key = g.signer_key;
        s.md = EVP_sha256();
        s.content = &g.env_pkcsreq;

        gen_nonce(nonce, name);
        gen_transaction_id(tid, NULL, name);
        request_attrs(&s, "19", tid, nonce);
        pki_sign(&msg, &s);
        file_write(name, &msg);

        if (i == 0) {
            der_to_ber(&ber, &msg, BER_SEGMENT);
            file_write("nonce-000-ber.der", &ber);
            buf_free(&ber);
        }

        buf_free(&msg);
    }

    return 0;
}


/*
 * scep-gen --flows OUTDIR: the messages of t/041-flow-joins.t, made when
 * the test runs.  FLOW_DEVICES devices, each with a P-256 key and a
 * self-signed certificate of its own, send what real clients send:
 *
 *   devNN-pkcsreq.der, devNN-certpoll.der: a PKCSReq and its CertPoll,
 *     the transactionID the SHA-1 of the key (as sscep and scepclient);
 *   devNN-jscep-0.der, devNN-jscep-1.der, devNN-jscep-poll-0.der: jscep's
 *     transactionIDs, counted per process from 0;
 *   devNN-getcrl.der, devNN-getcert.der: sscep's GetCRL and GetCert, with
 *     its constant transactionID "SSCEP transactionId";
 *   forged-dev00.der: dev00's transactionID, signed by another key
 *     ("attacker") and its signature spoilt;
 *   forged-cert-dev00.der: the same with dev00's own certificate.
 *
 * Each message has a senderNonce of its own.
 */

#define FLOW_DEVICES  40

static void
flows_request(gen_t *g, const char *name, X509 *cert, EVP_PKEY *key,
    const char *type, const char *tid, int spoil)
{
    buf_t          msg;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN];

    memset(&s, 0, sizeof(sign_t));
    s.name = name;
    s.cert = cert;
    s.key = key;
    s.md = EVP_sha256();
    s.content = &g->env_pkcsreq;

    gen_nonce(nonce, name);

    attr_str(&s, OID_MESSAGE_TYPE, type);
    attr_str(&s, OID_TRANSACTION_ID, tid);
    attr_add(&s, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, NONCE_LEN);

    pki_sign(&msg, &s);

    if (spoil) {
        /* the signature is the last thing of a SignerInfo without
           unsigned attributes, and of the message */
        msg.data[msg.len - 1] ^= 0x01;
    }

    file_write(name, &msg);
    buf_free(&msg);
}


static int
gen_flows(const char *dir)
{
    int          i;
    char         label[64], name[64], tid[41], tid0[41];
    X509        *cert[FLOW_DEVICES], *attacker;
    buf_t        in;
    gen_t        g;
    EVP_PKEY    *key[FLOW_DEVICES], *attacker_key;
    const char  *rdn[3];

    outdir = dir;

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);

    csr_make(&in, g.signer_key, device_name, CHALLENGE, csr_ext);
    envelope(&g.env_pkcsreq, "envelope pkcsreq", g.ra, &in);
    buf_free(&in);

    rdn[0] = "CN";
    rdn[2] = NULL;

    for (i = 0; i < FLOW_DEVICES; i++) {
        snprintf(label, sizeof(label), "dev%02d", i);
        rdn[1] = label;

        key[i] = key_generate(label, "EC", "P-256", 0);
        cert[i] = cert_make(label, rdn, key[i], NULL, NULL, 0, signer_ext);

        gen_transaction_id(tid, key[i], NULL);

        if (i == 0) {
            strcpy(tid0, tid);
        }

        snprintf(name, sizeof(name), "dev%02d-pkcsreq.der", i);
        flows_request(&g, name, cert[i], key[i], "19", tid, 0);
        snprintf(name, sizeof(name), "dev%02d-certpoll.der", i);
        flows_request(&g, name, cert[i], key[i], "20", tid, 0);

        snprintf(name, sizeof(name), "dev%02d-jscep-0.der", i);
        flows_request(&g, name, cert[i], key[i], "19", "0", 0);
        snprintf(name, sizeof(name), "dev%02d-jscep-1.der", i);
        flows_request(&g, name, cert[i], key[i], "19", "1", 0);
        snprintf(name, sizeof(name), "dev%02d-jscep-poll-0.der", i);
        flows_request(&g, name, cert[i], key[i], "20", "0", 0);

        snprintf(name, sizeof(name), "dev%02d-getcrl.der", i);
        flows_request(&g, name, cert[i], key[i], "22",
                      "SSCEP transactionId", 0);
        snprintf(name, sizeof(name), "dev%02d-getcert.der", i);
        flows_request(&g, name, cert[i], key[i], "21",
                      "SSCEP transactionId", 0);
    }

    rdn[1] = "attacker";
    attacker_key = key_generate("attacker", "EC", "P-256", 0);
    attacker = cert_make("attacker", rdn, attacker_key, NULL, NULL, 0,
                         signer_ext);

    flows_request(&g, "forged-dev00.der", attacker, attacker_key, "19", tid0,
                  1);
    flows_request(&g, "forged-cert-dev00.der", cert[0], key[0], "19", tid0,
                  1);

    for (i = 0; i < FLOW_DEVICES; i++) {
        X509_free(cert[i]);
        EVP_PKEY_free(key[i]);
    }

    X509_free(attacker);
    EVP_PKEY_free(attacker_key);

    return 0;
}


/*
 * FAILURE CertReps carrying NDES's error code, 1.3.6.1.4.1.311.21.33
 * (szOID_ENROLL_SCEP_ERROR), answering pkcsreq-sha256.der and signed by
 * the RA like the others: the HRESULT as NDES writes it, a signed 32-bit
 * INTEGER; the same bits as a positive INTEGER; and what no decoder may
 * take for an HRESULT.
 */

#define OID_SCEP_ERROR  "1.3.6.1.4.1.311.21.33"

typedef struct {
    const char                *name;
    unsigned                   form;
    uint64_t                   value;      /* its 64 bits, for the form */
    const char                *note;
} ndes_error_t;

#define NDES_SIGNED    0    /* (int32_t) value, as NDES writes it */
#define NDES_UNSIGNED  1    /* value, positive */
#define NDES_NEGATIVE  2    /* -value */
#define NDES_WIDE      3    /* 2^64 + value: nine content bytes */
#define NDES_OCTETS    4    /* the 4 bytes of NDES's form, OCTET STRING */
#define NDES_TWICE     5    /* two attributes, value and 0x80094800 */

static const ndes_error_t  ndes_errors[] = {
    { "certrep-ndes-invalidarg.der", NDES_SIGNED, 0x80070057,
      "CertRep FAILURE badRequest with NDES's error code E_INVALIDARG"
      " (-2147024809), what NDES answers to GetCRL" },
    { "certrep-ndes-unsupported-cert-type.der", NDES_SIGNED, 0x80094800,
      "CertRep FAILURE badRequest, CERTSRV_E_UNSUPPORTED_CERT_TYPE: the CA"
      " does not issue the template" },
    { "certrep-ndes-revocation-offline.der", NDES_SIGNED, 0x80092013,
      "CertRep FAILURE badRequest, CRYPT_E_REVOCATION_OFFLINE: a CRL of"
      " the chain could not be fetched" },
    { "certrep-ndes-untrustedroot.der", NDES_SIGNED, 0x800b0109,
      "CertRep FAILURE badRequest, CERT_E_UNTRUSTEDROOT" },
    { "certrep-ndes-unknown.der", NDES_SIGNED, 0x8badf00d,
      "CertRep FAILURE badRequest with an HRESULT winerror.h does not"
      " define, 0x8badf00d" },
    { "certrep-ndes-positive.der", NDES_UNSIGNED, 0x80094800,
      "CertRep FAILURE, CERTSRV_E_UNSUPPORTED_CERT_TYPE as a positive"
      " INTEGER (5 content bytes): the same 32 bits" },
    { "certrep-ndes-33-bits.der", NDES_UNSIGNED, 0x180070057ULL,
      "hostile: NDES's error code 0x180070057, more than 32 bits: no"
      " HRESULT" },
    { "certrep-ndes-below.der", NDES_NEGATIVE, 0x80000001,
      "hostile: NDES's error code -2^31 - 1, below a signed 32-bit value:"
      " no HRESULT" },
    { "certrep-ndes-9-bytes.der", NDES_WIDE, 0x80070057,
      "hostile: NDES's error code a 9-byte INTEGER ending in the bytes of"
      " E_INVALIDARG: no HRESULT" },
    { "certrep-ndes-octets.der", NDES_OCTETS, 0x80070057,
      "hostile: NDES's error code in an OCTET STRING, not an INTEGER: no"
      " HRESULT" },
    { "certrep-ndes-twice.der", NDES_TWICE, 0x80070057,
      "hostile: NDES's error code twice, E_INVALIDARG and"
      " CERTSRV_E_UNSUPPORTED_CERT_TYPE: neither is believed" },
};


static void
gen_ndes_errors(gen_t *g)
{
    int             i, n;
    buf_t           msg;
    BIGNUM         *bn;
    desc_t         *d;
    sign_t          s;
    ASN1_INTEGER   *v[2];
    unsigned char   nonce[NONCE_LEN], octets[4];

    n = sizeof(ndes_errors) / sizeof(ndes_errors[0]);

    for (i = 0; i < n; i++) {
        memset(&s, 0, sizeof(sign_t));
        s.name = ndes_errors[i].name;
        s.cert = g->ra;
        s.key = g->ra_key;
        s.extra[0] = g->ca;
        s.md = EVP_sha256();
        gen_nonce(nonce, s.name);
        certrep_attrs(&s, g->tid, nonce, g->nonce, "2", "2");

        v[0] = ASN1_INTEGER_new();
        v[1] = NULL;

        switch (ndes_errors[i].form) {

        case NDES_UNSIGNED:
            ASN1_INTEGER_set_uint64(v[0], ndes_errors[i].value);
            break;

        case NDES_NEGATIVE:
            ASN1_INTEGER_set_int64(v[0], -(int64_t) ndes_errors[i].value);
            break;

        case NDES_WIDE:
            bn = BN_new();
            BN_set_bit(bn, 64);
            BN_add_word(bn, (BN_ULONG) ndes_errors[i].value);
            BN_to_ASN1_INTEGER(bn, v[0]);
            BN_free(bn);
            break;

        default:
            ASN1_INTEGER_set_int64(v[0], (int32_t) ndes_errors[i].value);
            break;
        }

        /* a value of len -1 is an ASN1_INTEGER, encoded by OpenSSL */

        if (ndes_errors[i].form == NDES_OCTETS) {
            octets[0] = (unsigned char) (ndes_errors[i].value >> 24);
            octets[1] = (unsigned char) (ndes_errors[i].value >> 16);
            octets[2] = (unsigned char) (ndes_errors[i].value >> 8);
            octets[3] = (unsigned char) ndes_errors[i].value;
            attr_add(&s, OID_SCEP_ERROR, V_ASN1_OCTET_STRING, octets, 4);

        } else {
            attr_add(&s, OID_SCEP_ERROR, V_ASN1_INTEGER, v[0], (size_t) -1);
        }

        if (ndes_errors[i].form == NDES_TWICE) {
            v[1] = ASN1_INTEGER_new();
            ASN1_INTEGER_set_int64(v[1], (int32_t) 0x80094800);
            attr_add(&s, OID_SCEP_ERROR, V_ASN1_INTEGER, v[1], (size_t) -1);
        }

        pki_sign(&msg, &s);
        d = fixture(s.name, &msg, "3", "valid", NULL, ndes_errors[i].note);

        if (ndes_errors[i].form == NDES_SIGNED
            || (ndes_errors[i].form == NDES_UNSIGNED
                && ndes_errors[i].value <= 0xffffffff))
        {
            buf_printf(&d->extra, ",\n    \"ndes_error\": \"0x%08x\"",
                       (unsigned) ndes_errors[i].value);
        }

        buf_free(&msg);
        ASN1_INTEGER_free(v[0]);
        ASN1_INTEGER_free(v[1]);
    }
}


/*
 * --ndes-error HRESULT OUT.der: a FAILURE badRequest CertRep carrying that
 * error code; --fail-info N OUT.der: a FAILURE with failInfo N (0 to 4,
 * or "none": no failInfo); for the tests that go through the module's
 * whole tables
 */

static int
gen_certrep_failure(const char *fail_info, const char *code_arg,
    const char *path)
{
    char            *end;
    buf_t            msg;
    FILE            *f;
    gen_t            g;
    sign_t           s;
    ASN1_INTEGER    *v;
    unsigned long    code;
    unsigned char    nonce[NONCE_LEN];

    code = 0;

    if (code_arg) {
        code = strtoul(code_arg, &end, 16);
        if (*code_arg == '\0' || *end != '\0' || code > 0xffffffffUL) {
            fprintf(stderr, "scep-gen: --ndes-error: an HRESULT in hex\n");
            return 2;
        }
    }

    if (fail_info && (strlen(fail_info) != 1 || *fail_info < '0'
                      || *fail_info > '4'))
    {
        fprintf(stderr, "scep-gen: --fail-info: 0 to 4, or none\n");
        return 2;
    }

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);

    memset(&s, 0, sizeof(sign_t));
    s.name = "certrep-failure";
    s.cert = g.ra;
    s.key = g.ra_key;
    s.extra[0] = g.ca;
    s.md = EVP_sha256();
    gen_nonce(nonce, path);
    certrep_attrs(&s, g.tid, nonce, g.nonce, "2", fail_info);

    v = NULL;

    if (code_arg) {
        v = ASN1_INTEGER_new();
        ASN1_INTEGER_set_int64(v, (int32_t) code);
        attr_add(&s, OID_SCEP_ERROR, V_ASN1_INTEGER, v, (size_t) -1);
    }

    pki_sign(&msg, &s);

    f = fopen(path, "wb");
    if (f == NULL || fwrite(msg.data, 1, msg.len, f) != msg.len
        || fclose(f) != 0)
    {
        fail("cannot write %s", path);
    }

    buf_free(&msg);
    ASN1_INTEGER_free(v);

    return 0;
}


/*
 * scep-gen --retries OUTDIR: the messages of t/095-sequences.t, made when
 * the test runs: retry-a-0.der and retry-a-1.der, two PKCSReqs of the
 * same transactionID and signer, each with a senderNonce of its own (a
 * client that makes its message anew for its retry), retry-b-0.der and
 * retry-b-1.der the same for another transactionID, and fresh-0.der ...
 * fresh-3.der, each of a transaction of its own.
 */

static int
gen_retries(const char *dir)
{
    int            i;
    char           name[32], tid[41];
    buf_t          msg;
    gen_t          g;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN];

    outdir = dir;

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);
    gen_envelopes(&g);

    for (i = 0; i < 8; i++) {
        if (i < 4) {
            snprintf(name, sizeof(name), "retry-%c-%d.der", "ab"[i / 2],
                     i % 2);
            gen_transaction_id(tid, NULL, i < 2 ? "retry-a" : "retry-b");

        } else {
            snprintf(name, sizeof(name), "fresh-%d.der", i - 4);
            gen_transaction_id(tid, NULL, name);
        }

        memset(&s, 0, sizeof(sign_t));
        s.name = name;
        s.cert = g.signer;
        s.key = g.signer_key;
        s.md = EVP_sha256();
        s.content = &g.env_pkcsreq;

        gen_nonce(nonce, name);
        request_attrs(&s, "19", tid, nonce);
        pki_sign(&msg, &s);
        file_write(name, &msg);
        buf_free(&msg);
    }

    return 0;
}


/*
 * scep-gen --ra-defects OUTDIR: GetCACert answers whose RA certificates
 * cannot work, for t/092-ra-warnings.t, made when the test runs (one
 * expires 10 days from then): each is the NDES answer of gen_ca_answers()
 * with one defect.
 */

static const char *const  ra_cep_no_ke_ext[] = {
    "keyUsage", "critical,digitalSignature",
    "1.3.6.1.4.1.311.20.2", "ASN1:BMPSTRING:CEPEncryption",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

static const char *const  ra_agent_no_ds_ext[] = {
    "keyUsage", "critical,keyEncipherment",
    "extendedKeyUsage", "1.3.6.1.4.1.311.20.2.1",
    "1.3.6.1.4.1.311.20.2", "ASN1:BMPSTRING:EnrollmentAgentOffline",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

/* keyUsage a NULL, not a BIT STRING */
static const char *const  ra_ku_malformed_ext[] = {
    "keyUsage", "critical,DER:0500",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};

static const char *const  ra_ku_twice_ext[] = {
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "keyUsage", "critical,digitalSignature,keyEncipherment",
    "subjectKeyIdentifier", "hash",
    "authorityKeyIdentifier", "keyid",
    NULL
};


static void
ra_defect_write(const char *name, X509 **x, unsigned n)
{
    buf_t  b;

    degenerate_p7_certs(&b, x, n);
    file_write(name, &b);
    buf_free(&b);
}


static int
gen_ra_defects(const char *dir)
{
    char           nb[32], na[32];
    X509          *x[10], *old_ca;
    buf_t          b, msg;
    gen_t          g;
    time_t         now, t;
    sign_t         s;
    unsigned       i;
    struct tm      tm;
    unsigned char  nonce[NONCE_LEN];

    outdir = dir;

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);

    x[0] = g.ca;

    /* the healthy NDES answer: the CA, the agent and the CEP certificate */

    ndes_answer(&g, &b, "ra healthy", 0x4001, NOT_BEFORE, NOT_AFTER);
    file_write("ra-healthy.der", &b);
    buf_free(&b);

    x[1] = cert_make("ra agent", ndes_ra_name, g.agent_key, g.ca, g.ca_key,
                     0x4011, ndes_agent_ext);
    x[2] = cert_make("ra cep no ke", ndes_ra_name, g.ra_key, g.ca, g.ca_key,
                     0x4012, ra_cep_no_ke_ext);
    ra_defect_write("ra-no-key-encipherment.der", x, 3);
    X509_free(x[2]);

    x[2] = cert_make("ra cep", ndes_ra_name, g.ra_key, g.ca, g.ca_key,
                     0x4013, ndes_cep_ext);
    X509_free(x[1]);
    x[1] = cert_make("ra agent no ds", ndes_ra_name, g.agent_key, g.ca,
                     g.ca_key, 0x4014, ra_agent_no_ds_ext);
    ra_defect_write("ra-no-digital-signature.der", x, 3);
    X509_free(x[1]);

    /* no CA certificate: the two RA certificates alone */

    x[1] = cert_make("ra agent", ndes_ra_name, g.agent_key, g.ca, g.ca_key,
                     0x4011, ndes_agent_ext);
    ra_defect_write("ra-no-ca.der", x + 1, 2);

    /*
     * After a CA renewal: the CA of the answer is the new one, of the same
     * name and another key; the RA certificates are the old CA's.
     */

    old_ca = cert_make("old ca", ca_name, g.ios_key, NULL, NULL, 9, ca_ext);
    X509_free(x[1]);
    X509_free(x[2]);
    x[1] = cert_make("ra agent old", ndes_ra_name, g.agent_key, old_ca,
                     g.ios_key, 0x4021, ndes_agent_ext);
    x[2] = cert_make("ra cep old", ndes_ra_name, g.ra_key, old_ca, g.ios_key,
                     0x4022, ndes_cep_ext);
    ra_defect_write("ra-old-ca.der", x, 3);
    X509_free(x[1]);
    X509_free(x[2]);

    /* RA certificates that expire 10 days from now */

    now = time(NULL);
    t = now - 30 * 86400;
    gmtime_r(&t, &tm);
    strftime(nb, sizeof(nb), "%Y%m%d%H%M%SZ", &tm);
    t = now + 10 * 86400;
    gmtime_r(&t, &tm);
    strftime(na, sizeof(na), "%Y%m%d%H%M%SZ", &tm);

    ndes_answer(&g, &b, "ra expiring", 0x4031, nb, na);
    file_write("ra-expiring.der", &b);
    buf_free(&b);

    /* a single RA certificate whose keyUsage is unreadable, or twice */

    x[1] = cert_make("ra ku malformed", ra_name, g.ra_key, g.ca, g.ca_key,
                     0x4041, ra_ku_malformed_ext);
    ra_defect_write("ra-ku-malformed.der", x, 2);
    X509_free(x[1]);

    x[1] = cert_make("ra ku twice", ra_name, g.ra_key, g.ca, g.ca_key,
                     0x4042, ra_ku_twice_ext);
    ra_defect_write("ra-ku-twice.der", x, 2);
    X509_free(x[1]);

    /*
     * Ten certificates, the CA last: of the 8 read none is a CA, but the
     * answer holds one, so neither no_ca_cert nor not_issued_by_ca.
     */

    for (i = 0; i < 9; i++) {
        snprintf(nb, sizeof(nb), "ra many %u", i);
        x[i] = cert_make(nb, ndes_ra_name, g.ra_key, g.ca, g.ca_key,
                         0x4050 + i, ndes_cep_ext);
    }

    x[9] = g.ca;
    ra_defect_write("ra-many.der", x, 10);

    for (i = 0; i < 9; i++) {
        X509_free(x[i]);
    }

    X509_free(old_ca);

    /* what NDES answers a message it cannot decrypt or verify */

    gen_envelopes(&g);
    memset(&s, 0, sizeof(sign_t));
    s.name = "ra-certrep-badmessagecheck.der";
    s.cert = g.ra;
    s.key = g.ra_key;
    s.md = EVP_sha256();
    gen_nonce(nonce, s.name);
    certrep_attrs(&s, g.tid, nonce, g.nonce, "2", "1");
    pki_sign(&msg, &s);
    file_write(s.name, &msg);
    buf_free(&msg);

    return 0;
}


/*
 * scep-gen --skewed OUTDIR: PKCSReq messages of t/093-clock-skew.t, made
 * when the test runs: signed by a device whose clock is off by a known
 * amount from then (signingTime), or whose self-signed certificate starts
 * in the future; hostile signingTimes; and a CertRep FAILURE badTime.
 */

static void
skew_time(char *buf, size_t size, long off, int generalized)
{
    time_t     t;
    struct tm  tm;

    t = time(NULL) + off;
    gmtime_r(&t, &tm);
    strftime(buf, size, generalized ? "%Y%m%d%H%M%SZ" : "%y%m%d%H%M%SZ",
             &tm);
}


/*
 * What OpenSSL would not make: no signingTime (it adds one to a SignerInfo
 * that has none), one twice, or one of two values.  The DER is edited and
 * the signed attributes signed again (RSA PKCS#1 v1.5 with SHA-256, as
 * they were).
 */

#define SKEW_STRIP   0
#define SKEW_TWICE   1
#define SKEW_VALUES  2

static void
skew_edit_signing_time(buf_t *msg, EVP_PKEY *key, int edit)
{
    size_t         siglen;
    buf_t          tbs, copy;
    pkimsg_t       m;
    der_node_t    *attrs, **pp, *k, *rest;
    EVP_MD_CTX    *ctx;
    unsigned char *sig;

    static const unsigned char  oid[] = {
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05
    };

    pkimsg_parse(&m, msg);

    for (attrs = m.signer_info->child; attrs; attrs = attrs->next) {
        if (attrs->tag == 0xa0) {
            break;
        }
    }

    if (attrs == NULL) {
        fail("skew: no signed attributes");
    }

    for (pp = &attrs->child; *pp; pp = &(*pp)->next) {
        if ((*pp)->child->len != sizeof(oid)
            || memcmp((*pp)->child->data, oid, sizeof(oid)) != 0)
        {
            continue;
        }

        k = *pp;

        if (edit == SKEW_STRIP) {
            *pp = k->next;
            k->next = NULL;
            der_free(k);
            break;
        }

        /* a copy of the attribute, or of its value */

        memset(&copy, 0, sizeof(buf_t));

        if (edit == SKEW_TWICE) {
            rest = k->next;
            k->next = NULL;
            der_write(&copy, k);
            k->next = der_parse(copy.data, copy.len);
            k->next->next = rest;

        } else {
            der_write(&copy, k->child->next->child);
            k->child->next->child->next = der_parse(copy.data, copy.len);
        }

        buf_free(&copy);
        break;
    }

    /* the signature is over the attributes as a SET */

    memset(&tbs, 0, sizeof(buf_t));
    attrs->tag = 0x31;
    k = attrs->next;
    attrs->next = NULL;
    der_write(&tbs, attrs);
    attrs->next = k;
    attrs->tag = 0xa0;

    ctx = EVP_MD_CTX_new();
    if (!EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key)
        || !EVP_DigestSign(ctx, NULL, &siglen, tbs.data, tbs.len))
    {
        fail("skew: EVP_DigestSign");
    }

    sig = xalloc(siglen);

    if (!EVP_DigestSign(ctx, sig, &siglen, tbs.data, tbs.len)) {
        fail("skew: EVP_DigestSign");
    }

    EVP_MD_CTX_free(ctx);
    buf_free(&tbs);

    free(m.signature->data);
    m.signature->data = sig;
    m.signature->len = siglen;

    buf_free(msg);
    pkimsg_write(msg, &m);
}


static void
skew_request(gen_t *g, const char *name, X509 *cert, const char *time,
    int type, const char *raw)
{
    buf_t          msg;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN];

    memset(&s, 0, sizeof(sign_t));
    s.name = name;
    s.cert = cert;
    s.key = g->signer_key;
    s.md = EVP_sha256();
    s.content = &g->env_pkcsreq;
    s.signing_time = time;
    s.no_signing_time = (time == NULL);

    gen_nonce(nonce, name);
    request_attrs(&s, "19", g->tid, nonce);

    /* a signingTime as given, not as OpenSSL would check it */
    if (raw) {
        attr_add(&s, "1.2.840.113549.1.9.5", type, raw, strlen(raw));
    }

    pki_sign(&msg, &s);

    if (time == NULL && raw == NULL) {
        skew_edit_signing_time(&msg, g->signer_key, SKEW_STRIP);
    }
    file_write(name, &msg);
    buf_free(&msg);
}


static int
gen_skewed(const char *dir)
{
    char           t[32], nb[32];
    buf_t          msg;
    gen_t          g;
    X509          *future;
    sign_t         s;
    unsigned char  nonce[NONCE_LEN];

    outdir = dir;

    memset(&g, 0, sizeof(gen_t));
    gen_pki(&g);
    gen_envelopes(&g);

    skew_time(t, sizeof(t), -3 * 3600, 0);
    skew_request(&g, "skew-behind-3h.der", g.signer, t, 0, NULL);

    skew_time(t, sizeof(t), 2 * 3600, 0);
    skew_request(&g, "skew-ahead-2h.der", g.signer, t, 0, NULL);

    skew_time(t, sizeof(t), -60, 0);
    skew_request(&g, "skew-1min.der", g.signer, t, 0, NULL);

    skew_time(t, sizeof(t), 2 * 3600, 1);
    skew_request(&g, "skew-ahead-2h-generalized.der", g.signer, NULL,
                 V_ASN1_GENERALIZEDTIME, t);

    /* a self-signed certificate made by a clock 2 hours ahead */

    skew_time(nb, sizeof(nb), 2 * 3600, 1);
    future = cert_make_dated("future signer", signer_name, g.signer_key,
                             NULL, NULL, 0, signer_ext, nb, NOT_AFTER);
    skew_request(&g, "skew-signer-future.der", future, NULL, 0, NULL);

    /* hostile: none of these says a time */

    skew_time(t, sizeof(t), -3 * 3600, 0);
    t[6] = 'x';
    skew_request(&g, "skew-bad-digits.der", g.signer, NULL, V_ASN1_UTCTIME,
                 t);

    skew_time(t, sizeof(t), -3 * 3600, 0);
    skew_request(&g, "skew-wrong-tag.der", g.signer, NULL,
                 V_ASN1_PRINTABLESTRING, t);

    skew_request(&g, "skew-month-13.der", g.signer, NULL, V_ASN1_UTCTIME,
                 "261301000000Z");

    skew_request(&g, "skew-feb-30.der", g.signer, NULL, V_ASN1_UTCTIME,
                 "260230000000Z");

    skew_time(t, sizeof(t), -3 * 3600, 0);
    t[12] = '\0';
    skew_request(&g, "skew-no-seconds.der", g.signer, NULL, V_ASN1_UTCTIME,
                 t);

    /* hostile: signingTime twice, or of two values, 3 hours behind */

    skew_time(t, sizeof(t), -3 * 3600, 0);
    skew_request(&g, "skew-twice.der", g.signer, t, 0, NULL);
    memset(&msg, 0, sizeof(buf_t));
    file_read("skew-twice.der", &msg);
    skew_edit_signing_time(&msg, g.signer_key, SKEW_TWICE);
    file_write("skew-twice.der", &msg);
    buf_free(&msg);

    skew_request(&g, "skew-two-values.der", g.signer, t, 0, NULL);
    memset(&msg, 0, sizeof(buf_t));
    file_read("skew-two-values.der", &msg);
    skew_edit_signing_time(&msg, g.signer_key, SKEW_VALUES);
    file_write("skew-two-values.der", &msg);
    buf_free(&msg);

    /* NDES's answer to a message it finds too old or too new */

    memset(&s, 0, sizeof(sign_t));
    s.name = "skew-certrep-badtime.der";
    s.cert = g.ra;
    s.key = g.ra_key;
    s.md = EVP_sha256();
    gen_nonce(nonce, s.name);
    certrep_attrs(&s, g.tid, nonce, nonce, "2", "3");
    pki_sign(&msg, &s);
    file_write(s.name, &msg);
    buf_free(&msg);

    X509_free(future);

    return 0;
}


int
main(int argc, char **argv)
{
    gen_t  g;
    char   path[4096];

    /* every mode: before anything in libcrypto draws a random byte */

    if (!RAND_set_rand_method(&gen_rand_method)) {
        fail("RAND_set_rand_method");
    }

    gen_reseed("start");

    if (argc == 4 && strcmp(argv[1], "--expiring-in") == 0) {
        return gen_expiring(argv[2], argv[3]);
    }

    if (argc == 3 && strcmp(argv[1], "--bounds") == 0) {
        return gen_bounds(argv[2]);
    }

    if (argc == 4 && strcmp(argv[1], "--nonces") == 0) {
        return gen_nonces(argv[2], argv[3]);
    }

    if (argc == 3 && strcmp(argv[1], "--flows") == 0) {
        return gen_flows(argv[2]);
    }

    if (argc == 4 && strcmp(argv[1], "--ndes-error") == 0) {
        return gen_certrep_failure("2", argv[2], argv[3]);
    }

    if (argc == 4 && strcmp(argv[1], "--fail-info") == 0) {
        return gen_certrep_failure(strcmp(argv[2], "none") ? argv[2] : NULL,
                                   NULL, argv[3]);
    }

    if (argc == 3 && strcmp(argv[1], "--retries") == 0) {
        return gen_retries(argv[2]);
    }

    if (argc == 3 && strcmp(argv[1], "--ra-defects") == 0) {
        return gen_ra_defects(argv[2]);
    }

    if (argc == 3 && strcmp(argv[1], "--skewed") == 0) {
        return gen_skewed(argv[2]);
    }

    if (argc != 2) {
        fprintf(stderr, "usage: scep-gen OUTDIR\n"
                        "       scep-gen --expiring-in DAYS OUT.der\n"
                        "       scep-gen --bounds OUTDIR\n"
                        "       scep-gen --nonces N OUTDIR\n"
                        "       scep-gen --flows OUTDIR\n"
                        "       scep-gen --ndes-error HRESULT OUT.der\n"
                        "       scep-gen --fail-info N|none OUT.der\n"
                        "       scep-gen --ra-defects OUTDIR\n"
                        "       scep-gen --skewed OUTDIR\n"
                        "       scep-gen --retries OUTDIR\n");
        return 2;
    }

    outdir = argv[1];

    memset(&g, 0, sizeof(gen_t));

    gen_pki(&g);
    gen_envelopes(&g);
    gen_requests(&g);
    gen_responses(&g);
    gen_malformed(&g);
    gen_signer_keys(&g);
    gen_many_attrs(&g);
    gen_ca_answers(&g);
    gen_ndes_errors(&g);

    describe_captures();
    link_replies();

    snprintf(path, sizeof(path), "%s/messages.json", outdir);
    json_write(path);

    return 0;
}
