from .ssg_rwsr import SSGRWSR, build_segmentor

__all__ = ['SSGRWSR', 'build_segmentor']
