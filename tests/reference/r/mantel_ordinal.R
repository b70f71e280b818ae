# Mantel (1963) ordinal DIF test and SMD, written independently in R, on polytomous data
# simulated here (graded response, 5 categories); plus stats::mantelhaen.test(correct =
# FALSE) on the dichotomous dif_mh.txt, which Mantel's test must equal for 0/1 items.
# Run from the repository root: Rscript tests/reference/r/mantel_ordinal.R
# Writes tests/reference/dif_ordinal.txt and tests/reference/dif_ordinal.json.
set.seed(7)
n <- 600; J <- 6
grm <- function(theta, a, b) {  # b: 4 increasing thresholds -> scores 0..4
  u <- runif(length(theta))
  p_above <- sapply(b, function(bk) plogis(a * (theta - bk)))
  rowSums(p_above > u)   # cumulative: count thresholds passed
}
b <- c(-1.8, -0.6, 0.5, 1.7)
X <- matrix(0L, 2 * n, J)
theta <- c(rnorm(n), rnorm(n, -0.2))
group <- rep(0:1, each = n)
for (j in 1:J) {
  shift <- if (j == 2) 0.6 else 0
  for (g in 0:1) {
    rows <- group == g
    X[rows, j] <- grm(theta[rows], 1.4, b + g * shift)
  }
}
writeLines(paste(group, apply(X, 1, paste, collapse = "")), "tests/reference/dif_ordinal.txt")
mantel <- function(y, S, G) {
  chi <- num <- 0; ef <- vf <- 0; smd <- 0
  nF <- sum(G == 1)
  for (s in sort(unique(S))) {
    k <- S == s; yR <- y[k & G == 0]; yF <- y[k & G == 1]
    if (length(yR) == 0 || length(yF) == 0) next
    smd <- smd + length(yF) / nF * (mean(yF) - mean(yR))
    N <- length(yR) + length(yF); if (N < 2) next
    T <- sum(y[k]); U <- sum(y[k]^2)
    num <- num + sum(yF); ef <- ef + length(yF) * T / N
    vf <- vf + length(yR) * length(yF) * (N * U - T^2) / (N^2 * (N - 1))
  }
  c(chi = (num - ef)^2 / vf, smd = smd, es = smd / sd(y))
}
S <- rowSums(X)
res <- sapply(1:J, function(j) mantel(X[, j], S, group))
# Dichotomous check with base R.
lines <- readLines("tests/reference/dif_mh.txt")
g2 <- as.integer(sub(" .*", "", lines))
X2 <- do.call(rbind, lapply(strsplit(sub(".* ", "", lines), ""), as.integer))
S2 <- rowSums(X2)
cmh <- sapply(1:ncol(X2), function(i) {
  lev <- sort(unique(S2)); tab <- array(0, c(2, 2, length(lev)))
  for (k in seq_along(lev)) { s <- S2 == lev[k]
    tab[1, 1, k] <- sum(s & g2 == 0 & X2[, i] == 1); tab[1, 2, k] <- sum(s & g2 == 0 & X2[, i] == 0)
    tab[2, 1, k] <- sum(s & g2 == 1 & X2[, i] == 1); tab[2, 2, k] <- sum(s & g2 == 1 & X2[, i] == 0) }
  tab <- tab[, , apply(tab, 3, sum) > 1, drop = FALSE]
  mantelhaen.test(tab, correct = FALSE)$statistic
})
num <- function(v) paste0("[", paste(sprintf("%.12g", v), collapse = ", "), "]")
json <- paste0('{\n  "source": "R ', R.version$major, '.', R.version$minor,
  ': Mantel (1963) chi-square and Dorans-Schmitt SMD written in R (tests/reference/r/mantel_ordinal.R) on dif_ordinal.txt (GRM, 5 categories, 600 + 600 persons, item index 1 shifted 0.6 for the focal group); dichotomous_chi_square: stats::mantelhaen.test(correct = FALSE) on dif_mh.txt",\n',
  '  "chi_square": ', num(res["chi", ]), ',\n',
  '  "smd": ', num(res["smd", ]), ',\n',
  '  "effect_size": ', num(res["es", ]), ',\n',
  '  "dichotomous_chi_square": ', num(cmh), '\n}\n')
writeLines(json, "tests/reference/dif_ordinal.json")
