/** The jargon the app's plain words must not use (issue 13's list): method ids and the math's own terms. */
export const JARGON = /certrnn|deepz|zonotope|secant|residual|slack|x_y/i
